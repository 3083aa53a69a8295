/**
 * Finding processes from outside, whatever PID namespace they run in: by a
 * marker the code under test puts on them (its command name through
 * prctl(PR_SET_NAME), or an argument of a command it starts). Pids a
 * sandboxed process sees mean nothing outside its sandbox.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** A fresh marker: 15 characters at most (the kernel's command-name limit). */
export function newMarker(): string {
  return `pyx${randomBytes(6).toString('hex')}`;
}

/** Python that names the current process (and the forks it makes) `marker`. */
export function nameProcessCode(marker: string): string {
  return `import ctypes\nctypes.CDLL(None).prctl(15, ${JSON.stringify(marker)}.encode(), 0, 0, 0)`;
}

/** Live (not zombie) processes named `marker` or with `marker` as an argument. */
export function processesMarked(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (comm === marker || args.includes(marker)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function isHarnessServe(pid: number): boolean {
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return args.some((arg) => arg.endsWith('/pyexec_harness.py')) && args.includes('serve');
}

/**
 * Our pids of the local kernel's fork servers this process started, in a
 * sandbox or not: the harness in `serve` below us whose parent is not one
 * (its forked children, spares and executions, carry the same command line).
 */
export function forkServers(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        if (!isHarnessServe(pid) || isHarnessServe(parentOf(pid))) return false;
        for (let current = pid; current > 1; current = parentOf(current)) if (current === process.pid) return true;
        return false;
      } catch {
        return false;
      }
    })
    .sort();
}
