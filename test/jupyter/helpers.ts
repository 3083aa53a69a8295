/** Jobs and process lookups shared by the Jupyter tests. */
import { readdirSync, readFileSync } from 'node:fs';
import type { ExecuteJob } from '../../protocol/internal.ts';
import { executeJob } from '../support/fixtures.ts';

export function job(code: string, folder: string, overrides: Partial<ExecuteJob> = {}): ExecuteJob {
  return executeJob(code, folder, { timeout_seconds: 30, ...overrides });
}

/** Ids of the kernels of kernelspec `name` the server runs. */
export async function runningKernelIds(url: string, token: string, name: string): Promise<string[]> {
  const response = await fetch(new URL('api/kernels', url), { headers: { Authorization: `token ${token}` } });
  if (!response.ok) throw new Error(`GET api/kernels: ${response.status}`);
  const kernels = (await response.json()) as { id: string; name: string }[];
  return kernels.filter((kernel) => kernel.name === name).map((kernel) => kernel.id);
}

/** The pid of the process started for kernel `id` (found by its connection file on the command line). */
export function kernelPid(id: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`kernel-${id}.json`)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  throw new Error(`no process for kernel ${id}`);
}

/**
 * Every process of kernel `id`, sandboxed or not: its id is on the command
 * line of the process the server started (the connection file) and, in the
 * sandbox, of the kernel itself (its slot `k-<id>`).
 */
export function kernelProcesses(id: string): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(id) ? [Number(entry)] : [];
    } catch {
      return []; // The process ended while we looked.
    }
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
