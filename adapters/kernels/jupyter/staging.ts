/**
 * Where a sandboxed kernel's execution writes: its staging folder, outside
 * `<work root>/k-<kernel id>`, copied into the execution folder once the code
 * has run. The work root comes from the kernelspec's metadata on the server,
 * never from the kernel (the code could name any folder to copy from).
 */
import { KernelSpecAPI, type ServerConnection } from '@jupyterlab/services';
import { join } from 'node:path';
import { z } from 'zod';
import { slotOf } from './sandbox.ts';

const sandboxMetadataSchema = z.object({
  pyexec: z.object({ sandbox: z.object({ work_root: z.string().min(1) }).optional() }),
});

/** The staging root of kernelspec `name`'s kernels, or null when they are not sandboxed. */
export async function stagingRoot(settings: ServerConnection.ISettings, name: string): Promise<string | null> {
  const specs = await KernelSpecAPI.getSpecs(settings);
  const metadata = sandboxMetadataSchema.safeParse(specs.kernelspecs[name]?.metadata);
  return metadata.success ? (metadata.data.pyexec.sandbox?.work_root ?? null) : null;
}

export function stagingFolder(root: string, kernelId: string): string {
  return join(root, slotOf(kernelId));
}
