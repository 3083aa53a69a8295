/** Runs the real `pyexec` command (bin/pyexec.js) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const pyexecBin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'pyexec.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  result: Promise<CliResult>;
  /** Resolves when stderr contains `text`. */
  waitForStderr(text: string, timeoutMs?: number): Promise<void>;
}

export function startCli(args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const child = spawn(process.execPath, [pyexecBin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ text: string; resolve: () => void }> = [];
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const watcher of watchers.filter((w) => stderr.includes(w.text))) watcher.resolve();
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  const result = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    result,
    waitForStderr: (text, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (stderr.includes(text)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no "${text}" on stderr within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
        watchers.push({ text, resolve: () => (clearTimeout(timer), resolve()) });
      }),
  };
}

export function runCli(args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return startCli(args, { input: '', ...options }).result;
}
