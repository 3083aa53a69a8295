/**
 * Every message that does not count is refused and reported, over a real
 * nats-server with the real service: the losing one of two decisions
 * published back to back, decisions and cancels whose subject names another
 * execution (or none), invalid messages (the subject they came on, the
 * execution they name, one line per problem), a request without an id or
 * reusing one; and a refused decision adds no repeated state event, while
 * each state event's seq is the snapshot's revision in the KV bucket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { PyexecClient } from '../../client/client.ts';
import { executionEventSchema, type ExecutionEvent, type ProtocolError } from '../../protocol/public.ts';
import { streamNameFor } from '../../bus/nats/work-queue.ts';
import { kvKeys } from '../../protocol/kv-keys.ts';
import { subjects } from '../../protocol/subjects.ts';
import { NatsServer } from '../support/nats-server.ts';
import { Deployment, protocolErrorsOn } from '../support/deployment.ts';
import { eventually } from '../support/eventually.ts';
import { auditRecordsOf } from '../support/audit-records.ts';

const writeCode = 'from epics import caput\ncaput("REF:PV", 1)\nresults = {"ok": True}\n';


describe('refusals over NATS', () => {
  let deployment: Deployment;
  let client: PyexecClient;
  let raw: NatsConnection;
  let js: JetStreamClient;
  let errors: ProtocolError[];
  const events: ExecutionEvent[] = [];
  let published = 0;

  beforeAll(async () => {
    const server = await NatsServer.start();
    deployment = new Deployment(server, server.url);
    await deployment.start('service', ['serve', '--nats', server.url, '--with-executor']);
    ({ client } = await deployment.connect('refusals-test'));
    raw = await deployment.raw();
    js = jetstream(raw);
    raw.subscribe(subjects.allEvents, { callback: (_error, message) => void events.push(executionEventSchema.parse(message.json())) });
    errors = await protocolErrorsOn(raw);
  });

  afterAll(() => deployment?.stop());

  const publish = (subject: string, body: unknown) => js.publish(subject, JSON.stringify(body), { msgID: `refusals-${published++}` });
  const errorsFor = (id: string) => errors.filter((error) => error.execution_id === id);
  const eventsOf = (id: string) => events.filter((event) => event.execution_id === id);

  /** An execution waiting for approval, and the decision that would count for it. */
  async function awaitingApproval(id: string) {
    const handle = await client.submit({ execution_id: id, task_objective: 'set', approved_code: writeCode });
    const view = await eventually(async () => {
      const found = await client.get(id);
      return found?.state === 'awaitingApproval' ? found : undefined;
    }, `${id} waiting for approval`);
    const pending = view.approval!;
    const decision = (verdict: 'approve' | 'reject') => ({
      execution_id: id, approval_id: pending.approval_id, code_sha256: pending.code_sha256,
      verdict, reason: verdict, approver: `op-${verdict}`, decided_at: new Date().toISOString(),
    });
    return { handle, decision, folder: view.folder };
  }

  it('refuses, audits and reports the losing decision of two published back to back', async () => {
    const id = 'race-decide-0001';
    const { handle, decision, folder } = await awaitingApproval(id);
    await Promise.all([publish(subjects.decisions(id), decision('reject')), publish(subjects.decisions(id), decision('approve'))]);
    const summary = await handle.settled;
    expect(['rejected', 'succeeded']).toContain(summary.outcome);
    const refusedOf = () => auditRecordsOf(folder).filter((record) => record.event === 'decision_refused');
    const refused = await eventually(() => refusedOf().length > 0 && refusedOf(), 'the refusal in the audit', 30_000);
    expect(auditRecordsOf(folder).filter((record) => record.event === 'decision_received')).toHaveLength(2);
    expect(refused).toHaveLength(1);
    await eventually(() => eventsOf(id).some((event) => event.kind === 'decision_refused'), 'the decision_refused event', 10_000);
    const error = await eventually(() => errorsFor(id).find((entry) => entry.error.startsWith('decision refused:')), 'the protocol error', 10_000);
    expect(error.subject).toBe(subjects.decisions(id));
  });

  it('refuses decisions and cancels whose subject names another execution or none; the execution goes on', async () => {
    const id = 'addressed-0001';
    const { handle, decision } = await awaitingApproval(id);
    await publish(subjects.decisions('addressed-other'), decision('approve'));
    await publish(subjects.decisionQueue, decision('approve'));
    await publish(subjects.cancels('addressed-other'), { execution_id: id });
    await publish(subjects.cancelQueue, { execution_id: id });
    await eventually(() => errorsFor(id).length >= 4 || undefined, 'four refusals', 30_000);
    const bySubject = Object.fromEntries(errorsFor(id).map((error) => [error.subject, error.error]));
    expect(bySubject[subjects.decisions('addressed-other')]).toMatch(/^decision refused: execution_id: the body names addressed-0001/);
    expect(bySubject[subjects.decisionQueue]).toMatch(/^decision refused: subject: must be pyexec\.decisions\.<execution_id>/);
    expect(bySubject[subjects.cancels('addressed-other')]).toMatch(/^execution_id: the body names addressed-0001/);
    expect(bySubject[subjects.cancelQueue]).toMatch(/^subject: must be pyexec\.cancels\.<execution_id>/);
    expect((await client.get(id))?.state).toBe('awaitingApproval');
    await publish(subjects.decisions(id), decision('approve'));
    expect((await handle.settled).outcome).toBe('succeeded');
    expect(deployment.site.count('caput REF:PV 1')).toBe(1);
  });

  it('reports invalid messages with the subject they came on, the execution they name, one line per problem', async () => {
    const id = 'invalid-named-0001';
    await publish(subjects.decisions(id), { execution_id: id, verdict: 'maybe' });
    raw.publish(subjects.executeResult(id), JSON.stringify({ execution_id: id, command_id: 'x', status: 'done' }));
    const decisionError = await eventually(() => errors.find((error) => error.subject === subjects.decisions(id)), 'the decision error', 30_000);
    expect(decisionError.execution_id).toBe(id);
    const lines = decisionError.error.split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4); // approval_id, code_sha256, verdict, approver, decided_at
    for (const line of lines) expect(line).toMatch(/^[a-z_.0-9]+: /);
    expect(decisionError.error).toMatch(/^verdict: /m);
    const resultError = await eventually(() => errors.find((error) => error.subject === subjects.executeResult(id)), 'the result error', 30_000);
    expect(resultError.execution_id).toBe(id);
    expect(resultError.error).toMatch(/^status: /m);
    expect(resultError.error).toMatch(/^stdout: /m);
  });

  it('refuses a request without an execution id, and one that reuses an id with other content', async () => {
    const before = errors.length;
    await publish(subjects.requests, { task_objective: 'no id' });
    const missing = await eventually(() => errors.slice(before).find((error) => error.subject === subjects.requests && /^execution_id: required/.test(error.error)), 'the missing-id refusal', 30_000);
    expect(missing.execution_id).toBeUndefined();

    const id = 'reused-id-0001';
    const first = await client.submit({ execution_id: id, task_objective: 'first', approved_code: 'results = {"n": 1}\n' });
    expect((await first.settled).outcome).toBe('succeeded');
    // The exact repeat (the same body the client enqueued), then one with other content.
    await publish(subjects.requests, { execution_id: id, task_objective: 'first', approved_code: 'results = {"n": 1}\n' });
    await publish(subjects.requests, { execution_id: id, task_objective: 'something else' });
    const reused = await eventually(() => errorsFor(id).find((error) => error.subject === subjects.requests), 'the reuse refusal', 30_000);
    expect(reused.error).toMatch(/^execution_id: execution reused-id-0001 exists already with a different request/);
    // Both were handled once the work-queue stream holds neither (acked or terminated).
    const jsm = await js.jetstreamManager();
    await eventually(async () => (await jsm.streams.info(streamNameFor(subjects.requests))).state.messages === 0 || undefined, 'the requests queue drained', 30_000);
    expect(errorsFor(id)).toHaveLength(1); // the exact repeat was acknowledged silently
  });

  it('publishes no repeated state event after a refused decision; seq is the KV revision', async () => {
    const id = 'no-repeat-0001';
    const { handle, decision } = await awaitingApproval(id);
    await publish(subjects.decisions(id), { ...decision('approve'), approval_id: 'stale' });
    await eventually(() => eventsOf(id).some((event) => event.kind === 'decision_refused'), 'the refusal event', 30_000);
    await publish(subjects.decisions(id), decision('approve'));
    await handle.settled;
    await eventually(() => eventsOf(id).some((event) => event.kind === 'state' && event.state === 'done'), 'the done event', 10_000);
    const states = eventsOf(id).flatMap((event) => (event.kind === 'state' ? [event] : []));
    expect(states.map((event) => event.state)).toEqual(['analyzing', 'awaitingApproval', 'executing', 'done']);
    const history = await (await new Kvm(raw).open('pyexec')).history({ key: kvKeys.execution(id) });
    const revisions = new Map<number, string>();
    for await (const entry of history) revisions.set(entry.revision, (entry.json() as { state: string }).state);
    for (const event of states) expect(revisions.get(event.seq), `revision ${event.seq}`).toBe(event.state);
  });
});
