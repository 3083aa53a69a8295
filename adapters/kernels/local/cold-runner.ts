/**
 * The cold path: a new interpreter per execution. Detached, so it leads its
 * own process group; the spec goes in on stdin, the report comes back on
 * file descriptor 3, stdout and stderr are read with the cap.
 *
 * Sandboxed, the interpreter runs in a sandbox of its own (the mode's
 * layout), takes the spec's slot like a warm spare, and its processes are
 * the slot's cgroup plus the sandbox's first process (whose end takes the
 * whole PID namespace with it).
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { KernelUnavailableError } from '../kernel.ts';
import type { Attempt } from './attempt.ts';
import type { ForkServerSandbox } from './fork-server.ts';
import { harnessPath, type HarnessSpec } from './harness-protocol.ts';
import { processGroup, signalName, type ProcessTree } from './process-group.ts';

/** Runs the spec; resolves when the attempt has ended. Rejects only if no process could be started. */
export function runCold(python: string, spec: HarnessSpec, attempt: Attempt, sandbox: ForkServerSandbox | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const command = sandbox
      ? sandbox.sandbox.command([python, sandbox.harness, 'run', '--confine', sandbox.confinement], spec.environment)
      : { file: python, args: [harnessPath, 'run'], env: spec.environment };
    const child = spawn(command.file, command.args, {
      cwd: sandbox ? '/' : spec.folder,
      env: command.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    child.once('error', (error) => {
      attempt.abandon();
      reject(new KernelUnavailableError(`cannot start ${command.file}: ${error.message}`));
    });
    if (child.pid === undefined) return;
    attempt.leaderStarted(treeOf(child.pid, sandbox, spec.slot));
    attempt.attach('stdout', child.stdout as Readable);
    attempt.attach('stderr', child.stderr as Readable);
    attempt.attach('report', child.stdio[3] as Readable);
    child.once('exit', (code, signal) => {
      // bwrap reports its child's death by a signal as status 128 + the signal.
      if (sandbox && code !== null && code > 128 && code < 128 + 65) attempt.leaderExited({ code: null, signal: signalName(code - 128) });
      else attempt.leaderExited({ code, signal: signal === null ? null : signalName(signal) });
    });
    // The code may end before reading its spec; a broken stdin is then expected.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify(spec));
    void attempt.ended.then(resolve);
  });
}

function treeOf(pid: number, sandbox: ForkServerSandbox | null, slot: string | null): ProcessTree {
  const group = processGroup(pid);
  if (sandbox === null || slot === null) return group;
  return {
    signal: (signal, includeLeader) => {
      sandbox.sandbox.signal(slot, signal);
      group.signal(signal, includeLeader);
    },
  };
}
