/**
 * The figures a kernel reports, as the execution keeps them. The report comes
 * from the process that ran the code, so only paths inside the execution's
 * figures/ folder count; each becomes a display_data output with its PNG for
 * the notebook.
 */
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative } from 'node:path';
import type { NotebookOutput } from '../../protocol/internal.ts';

export function executionFigures(executionFolder: string, reported: readonly string[]): string[] {
  const figures = join(executionFolder, 'figures');
  return reported.filter((path) => {
    const rel = relative(figures, path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  });
}

/** A figure the code deleted again has no output (its path stays in `figures`). */
export async function figureOutputs(paths: readonly string[]): Promise<NotebookOutput[]> {
  const outputs = await Promise.all(
    paths.map(async (path) => {
      const png = await readFile(path).catch(() => null);
      if (png === null) return null;
      return {
        output_type: 'display_data',
        data: { 'image/png': png.toString('base64'), 'text/plain': `<Figure ${basename(path)}>` },
        metadata: {},
      } satisfies NotebookOutput;
    }),
  );
  return outputs.filter((output) => output !== null);
}
