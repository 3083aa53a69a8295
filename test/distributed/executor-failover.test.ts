/**
 * kill -9 of an executor in the middle of two jobs: the read-only job is
 * redelivered (after the queue's ack-wait) to another executor and finishes
 * there; the write job, claimed in KV before it ran, is not run again — its
 * execution ends `unknown` for a human to look at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PyexecClient } from '../../client/client.ts';
import { queueOptions } from '../../protocol/queues.ts';
import { executeResultSchema } from '../../protocol/internal.ts';
import type { Transport } from '../../bus/transport.ts';
import { NatsServer } from '../support/nats-server.ts';
import { Deployment } from '../support/deployment.ts';
import { eventually } from '../support/eventually.ts';

/** Long enough that a second executor process is up before the first is killed. */
const runSeconds = 12;
const slowCode = (tag: string, write: boolean) =>
  [
    'import time',
    'from epics import caget, caput',
    `caget("RUN:${tag}")`,
    `time.sleep(${runSeconds})`,
    write ? `caput("SR:TEST:${tag}", 1.0)` : `caget("END:${tag}")`,
    'results = {"finished": True}',
    '',
  ].join('\n');

describe('executor killed with SIGKILL mid-run', () => {
  let server: NatsServer;
  let deployment: Deployment;
  let transport: Transport;
  let client: PyexecClient;
  const start = (name: string, args: string[]) => deployment.start(name, [...args, '--nats', server.url]);

  beforeAll(async () => {
    server = await NatsServer.start();
    deployment = new Deployment(server, server.url);
    await start('service', ['serve']);
    ({ transport, client } = await deployment.connect('executor-failover-test'));
  });

  /** The job result an executor stored in KV for the execution's (only) execute command. */
  const storedResult = async (executionId: string) => {
    const keys = (await transport.kv.keys('result.')).filter((key) => key.startsWith(`result.${executionId}_`));
    expect(keys).toHaveLength(1);
    return executeResultSchema.parse((await transport.kv.get(keys[0] ?? ''))?.value);
  };

  afterAll(() => deployment?.stop());

  it('re-runs the read-only job elsewhere and ends the write job unknown without re-running it', async () => {
    const first = await start('executor-1', ['executor', '--concurrency', '2', '--name', 'executor-1']);
    const readOnly = await client.submit({ execution_id: 'killed-read-only', task_objective: 'read slowly', approved_code: slowCode('killed-read-only', false) });
    const write = await client.submit({ execution_id: 'killed-write', task_objective: 'write slowly', approved_code: slowCode('killed-write', true) });
    await eventually(async () => (await client.get(write.id))?.state === 'awaitingApproval', 'the write job to wait for approval');
    await client.decide(write.id, 'approve', { reason: 'test', approver: 'operator' });
    await eventually(() => deployment.site.count('caget RUN:killed-read-only') === 1 && deployment.site.count('caget RUN:killed-write') === 1, 'both jobs running');

    await start('executor-2', ['executor', '--concurrency', '2', '--name', 'executor-2']);
    await first.kill();
    // The premise: both jobs were cut short.
    expect(deployment.site.count('caget END:killed-read-only')).toBe(0);
    expect(deployment.site.count('caput SR:TEST:killed-write 1.0')).toBe(0);

    const timeoutMs = queueOptions.execution.ackWaitMs + (runSeconds + 20) * 1000;
    const [readSummary, writeSummary] = await Promise.all([
      eventually(() => readOnly.settled, 'the read-only execution', timeoutMs),
      eventually(() => write.settled, 'the write execution', timeoutMs),
    ]);
    expect(readSummary.outcome).toBe('succeeded');
    expect(deployment.site.count('caget RUN:killed-read-only')).toBe(2); // at-least-once: ran again on executor-2
    expect(deployment.site.count('caget END:killed-read-only')).toBeGreaterThanOrEqual(1);
    expect(await storedResult('killed-read-only')).toMatchObject({ status: 'succeeded', executor: 'executor-2' });

    expect(writeSummary.outcome).toBe('unknown');
    expect(await storedResult('killed-write')).toMatchObject({ status: 'lost', executor: 'executor-2' });
    expect(deployment.site.count('caget RUN:killed-write')).toBe(1); // never started again
    expect(deployment.site.count('caput SR:TEST:killed-write 1.0')).toBeLessThanOrEqual(1);
  }, 150_000);
});
