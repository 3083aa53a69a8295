/**
 * A cancel that really stops the code, over a real nats-server with the real
 * service and executor processes. The fake epics package logs every caget
 * and caput, so the test sees whether the code began and whether it wrote.
 *
 * - write mode, cancelled while the code runs: the kernel is killed before
 *   the caput, and the execution ends `unknown` (the code had started: a
 *   human must look), never `cancelled`;
 * - write mode, cancelled before any executor took the job: `cancelled`, and
 *   an executor that starts later never runs it;
 * - read-only mode, cancelled while the code runs: `cancelled` at once, the
 *   code is killed, and the executor's answer is audited as late.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PyexecClient } from '../../client/client.ts';
import { NatsServer } from '../support/nats-server.ts';
import { Deployment } from '../support/deployment.ts';
import { eventually } from '../support/eventually.ts';
import { untilState } from '../support/execution-events.ts';
import { auditRecordsOf } from '../support/audit-records.ts';

/** Reads `started`, then sleeps long enough for the cancel to land before the write. */
const slowWrite = (pv: string) => `import time\nfrom epics import caget, caput\ncaget("${pv}:STARTED")\ntime.sleep(20)\ncaput("${pv}", 1)\nresults = {"wrote": True}\n`;
const slowRead = (pv: string) => `import time\nfrom epics import caget\ncaget("${pv}:STARTED")\ntime.sleep(20)\ncaget("${pv}:AFTER")\nresults = {"read": True}\n`;



describe('cancel over NATS', () => {
  let server: NatsServer;
  let deployment: Deployment;
  let client: PyexecClient;

  beforeAll(async () => {
    server = await NatsServer.start();
    deployment = new Deployment(server, server.url);
    await deployment.start('service', ['serve', '--nats', server.url]);
    ({ client } = await deployment.connect('cancel-test'));
  });

  afterAll(() => deployment?.stop());

  const startExecutor = async (name: string) => {
    const executor = await deployment.start(name, ['executor', '--nats', server.url, '--concurrency', '1']);
    return executor;
  };

  it('ends a write job cancelled before any executor took it `cancelled`, and no executor runs it later', async () => {
    const handle = await client.submit({ execution_id: 'cancel-queued-0001', task_objective: 'set', approved_code: slowWrite('Q:PV') });
    await untilState(handle, 'awaitingApproval');
    await handle.approve({ approver: 'op' });
    await untilState(handle, 'executing');
    await handle.cancel('changed my mind');
    const summary = await handle.settled;
    expect(summary.outcome).toBe('cancelled');
    expect((await client.get(handle.id))?.outcome_detail).toMatch(/never started/);

    // The executor that comes now finds the job fenced: its answer is late and nothing ran.
    await startExecutor('executor-1');
    const late = await eventually(() => auditRecordsOf(summary.folder).find((record) => record.event === 'late_result'), 'the late result in the audit', 30_000);
    expect(late).toMatchObject({ status: 'cancelled', code_started: false, outcome: 'cancelled' });
    expect(deployment.site.epicsCalls().filter((call) => call.includes('Q:PV'))).toEqual([]);
  });

  it('kills a running write job and ends it `unknown`: the caput never happens', async () => {
    const handle = await client.submit({ execution_id: 'cancel-write-0001', task_objective: 'set', approved_code: slowWrite('W:PV') });
    await untilState(handle, 'awaitingApproval');
    await handle.approve({ approver: 'op' });
    await eventually(() => deployment.site.count('caget W:PV:STARTED') === 1, 'the code to start', 60_000);
    await handle.cancel('stop it');
    const summary = await handle.settled;
    // The outcome waited for the kernel, whose processes are gone: the write cannot come any more.
    expect(summary.outcome).toBe('unknown');
    expect(deployment.site.count('caput W:PV 1')).toBe(0);
    const detail = (await client.get(handle.id))?.outcome_detail ?? '';
    expect(detail).toMatch(/stop it.*had started/);
    const events = auditRecordsOf(summary.folder).map((record) => record.event);
    expect(events).toContain('cancel_received');
    expect(events).toContain('execution_start');
    expect(events).toContain('execution_end');
  });

  it('stops a running read-only job at once and audits its answer as late; the slot is free again', async () => {
    const handle = await client.submit({ execution_id: 'cancel-read-0001', task_objective: 'read', approved_code: slowRead('R:PV') });
    await eventually(() => deployment.site.count('caget R:PV:STARTED') === 1, 'the code to start', 60_000);
    await handle.cancel('enough');
    const summary = await handle.settled;
    expect(summary.outcome).toBe('cancelled');
    const late = await eventually(() => auditRecordsOf(summary.folder).find((record) => record.event === 'late_result'), 'the late result in the audit', 30_000);
    expect(late).toMatchObject({ status: 'cancelled', code_started: true, outcome: 'cancelled' });
    expect(deployment.site.count('caget R:PV:AFTER')).toBe(0);

    // The one executor slot was given back: the next job runs.
    const next = await client.submit({ execution_id: 'cancel-next-0001', task_objective: 'read', approved_code: 'results = {"n": 1}\n' });
    expect((await next.settled).outcome).toBe('succeeded');
  });
});
