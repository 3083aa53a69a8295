/**
 * The cold path: a new interpreter per execution. Detached, so it leads its
 * own process group; the spec goes in on stdin, the report comes back on
 * file descriptor 3, stdout and stderr are read with the cap.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { KernelUnavailableError } from '../kernel.ts';
import type { Attempt } from './attempt.ts';
import { harnessPath, type HarnessSpec } from './harness-protocol.ts';
import { signalName } from './process-group.ts';

/** Runs the spec; resolves when the attempt has ended. Rejects only if no process could be started. */
export function runCold(python: string, spec: HarnessSpec, attempt: Attempt): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [harnessPath, 'run'], {
      cwd: spec.folder,
      env: spec.environment,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    child.once('error', (error) => {
      attempt.abandon();
      reject(new KernelUnavailableError(`cannot start ${python}: ${error.message}`));
    });
    if (child.pid === undefined) return;
    attempt.leaderStarted(child.pid);
    attempt.attach('stdout', child.stdout as Readable);
    attempt.attach('stderr', child.stderr as Readable);
    attempt.attach('report', child.stdio[3] as Readable);
    child.once('exit', (code, signal) => {
      attempt.leaderExited({ code, signal: signal === null ? null : signalName(signal) });
    });
    // The code may end before reading its spec; a broken stdin is then expected.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify(spec));
    void attempt.ended.then(resolve);
  });
}
