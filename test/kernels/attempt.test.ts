/**
 * An attempt's end, in the order Node may see things on a busy machine: a
 * warm child's channels (sockets) can connect, report and close before the
 * fork server's `forked` line (its own pipe) is read. Ending then would kill
 * nothing and lose the slot's files (no slot known to copy back).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Attempt } from '../../adapters/kernels/local/attempt.ts';
import type { ProcessTree } from '../../adapters/kernels/local/process-group.ts';
import { executeJob } from '../support/fixtures.ts';

function newAttempt(): Attempt {
  return new Attempt({ job: executeJob('results = {}', '/nonexistent'), outputCapBytes: 1024, killGraceMs: 1000 });
}

/** Stdout, stderr and a report that arrive and close, as a child that finished quickly leaves them. */
function finishChannels(attempt: Attempt): void {
  const streams = { stdout: new PassThrough(), stderr: new PassThrough(), report: new PassThrough() };
  for (const [name, stream] of Object.entries(streams)) attempt.attach(name as keyof typeof streams, stream);
  streams.report.write('{"status":"succeeded"}');
  for (const stream of Object.values(streams)) stream.end();
}

function recordingTree(): ProcessTree & { signals: string[] } {
  const signals: string[] = [];
  return { signals, signal: (signal) => void signals.push(signal) };
}

const settledWithin = (promise: Promise<void>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe('attempt end', () => {
  it('does not end on closed channels before its processes are known, and kills them once they are', async () => {
    const attempt = newAttempt();
    finishChannels(attempt);
    expect(await settledWithin(attempt.ended, 100)).toBe(false);
    const tree = recordingTree();
    attempt.leaderStarted(tree);
    expect(await settledWithin(attempt.ended, 1000)).toBe(true);
    expect(tree.signals).toEqual(['SIGKILL']);
  });

  it('ends on closed channels and a report when its processes were known first (a cold run)', async () => {
    const attempt = newAttempt();
    const tree = recordingTree();
    attempt.leaderStarted(tree);
    finishChannels(attempt);
    expect(await settledWithin(attempt.ended, 1000)).toBe(true);
    expect(tree.signals).toEqual(['SIGKILL']);
    expect(attempt.report?.toString()).toBe('{"status":"succeeded"}');
  });

  it('ends on closed channels when the fork server died and the processes can never be known', async () => {
    const attempt = newAttempt();
    finishChannels(attempt);
    attempt.leaderUnobservable();
    expect(await settledWithin(attempt.ended, 1000)).toBe(true);
  });
});
