/**
 * How the executor reports a kernel that fails. `infrastructure` is retried
 * as a new attempt (a new command, a new write claim), so only a kernel's
 * KernelUnavailableError, its word that the code never began, may become
 * `infrastructure`; any other failure of a write job may come after the code
 * started, and is `lost` (the execution ends unknown, nothing runs twice).
 * The failing kernel stands for a connection or harness that breaks mid-run.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startExecutorActor } from '../../actors/executor-actor.ts';
import { queueOptions } from '../../protocol/queues.ts';
import { KernelUnavailableError, type Kernel } from '../../adapters/kernels/kernel.ts';
import { writeFolderFiles } from '../../adapters/recorder/folder-recorder.ts';
import { silentLogger } from '../../logging/logger.ts';
import { executeResultSchema, type ExecuteResult } from '../../protocol/internal.ts';
import { createMemoryTransport } from '../../bus/memory/transport.ts';
import { subjects } from '../../protocol/subjects.ts';
import type { Transport } from '../../bus/transport.ts';
import { tempDir } from '../support/temp.ts';
import { executeJob } from '../support/fixtures.ts';

const folder = tempDir('pyexec-executor-failure-');
afterAll(() => folder.remove());
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

function failingKernel(error: Error): Kernel {
  return { name: 'failing', execute: () => Promise.reject(error), close: async () => undefined };
}

async function resultOf(kernel: Kernel, allowsWrites: boolean): Promise<ExecuteResult> {
  const transport: Transport = createMemoryTransport();
  const mode = allowsWrites ? 'write_access' : 'read_only';
  const id = allowsWrites ? 'kernel-failure-write' : 'kernel-failure-read';
  await transport.queues.declare(subjects.executeJobs(mode), queueOptions.execution);
  const executor = await startExecutorActor({ transport, modes: [mode], kernelFor: () => kernel, concurrency: 1, heartbeatMs: 1_000, logger: silentLogger, folderFiles: writeFolderFiles });
  stop = () => executor.stop();
  const code = 'from epics import caput\ncaput("SR:TEST:PV", 1.0)\n';
  const job = executeJob(code, folder.path, { execution_id: id, mode, allows_writes: allowsWrites, timeout_seconds: 30 });
  const result = new Promise<ExecuteResult>((resolve) => {
    transport.bus.subscribe(subjects.executeResult(job.execution_id), (message) => resolve(executeResultSchema.parse(message.data)));
  });
  await transport.queues.enqueue(subjects.executeJobs(mode), job.command_id, job);
  return result;
}

describe('executor: a failing kernel', () => {
  it('reports a write job whose kernel broke mid-run lost, never infrastructure (which would run it again)', async () => {
    const result = await resultOf(failingKernel(new Error('kernel connection reset')), true);
    expect(result.status).toBe('lost');
    expect(result.error?.message).toContain('kernel connection reset');
  });

  it('reports a write job whose kernel never started it as infrastructure, to be retried', async () => {
    const result = await resultOf(failingKernel(new KernelUnavailableError('no fork server')), true);
    expect(result).toMatchObject({ status: 'infrastructure', error: { type: 'KernelUnavailable' } });
  });

  it('keeps a read-only job at least once: a kernel failure is infrastructure, retried', async () => {
    const result = await resultOf(failingKernel(new Error('kernel connection reset')), false);
    expect(result).toMatchObject({ status: 'infrastructure', error: { type: 'KernelError' } });
  });
});
