/**
 * Anyone can publish on the public subjects. Messages that are not JSON,
 * that do not match their schema, or that are huge are refused — with a
 * protocol error on pyexec.errors, and an `ok: false` reply on
 * request/reply subjects — and executions running at the same time are not
 * disturbed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { PyexecClient } from '../../client/client.ts';
import type { ProtocolError } from '../../protocol/public.ts';
import { subjects } from '../../protocol/subjects.ts';
import { NatsServer } from '../support/nats-server.ts';
import { Deployment, protocolErrorsOn } from '../support/deployment.ts';
import { eventually } from '../support/eventually.ts';

const notJson = '{"task_objective": "unterminated';
const wrongSchema = JSON.stringify({ unexpected: true, task_objective: 42 });
/** Under the server's 1 MB max_payload, so it reaches the receiver. */
const huge = JSON.stringify({ task_objective: 'x', padding: 'p'.repeat(900_000) });

describe('invalid messages on every subject', () => {
  let deployment: Deployment;
  let client: PyexecClient;
  let raw: NatsConnection;
  let js: JetStreamClient;
  let errors: ProtocolError[];

  beforeAll(async () => {
    const server = await NatsServer.start();
    deployment = new Deployment(server, server.url);
    await deployment.start('service', ['serve', '--nats', server.url, '--with-executor']);
    ({ client } = await deployment.connect('invalid-test'));
    raw = await deployment.raw();
    js = jetstream(raw);
    errors = await protocolErrorsOn(raw);
  });

  afterAll(() => deployment?.stop());

  const errorsOn = (subject: string) => errors.filter((error) => error.subject === subject);

  it('refuses bad requests, decisions, cancellations, jobs and results with a protocol error, while a good execution finishes', async () => {
    const good = await client.submit({ execution_id: 'good-one-0001', task_objective: 'read', approved_code: 'import time\ntime.sleep(1)\nresults = {"ok": True}\n' });
    const queued = [subjects.requests, subjects.decisions('good-one-0001'), subjects.cancels('good-one-0001'), subjects.executeJobs('read_only')];
    for (const subject of queued) {
      for (const [index, payload] of [notJson, wrongSchema, huge].entries()) await js.publish(subject, payload, { msgID: `${subject}-bad-${index}` });
    }
    for (const payload of [notJson, wrongSchema, huge]) raw.publish(subjects.executeResult('good-one-0001'), payload);

    for (const subject of [...queued, subjects.executeResult('good-one-0001')]) {
      await eventually(() => errorsOn(subject).length === 3, `three protocol errors for ${subject} (have ${errorsOn(subject).length})`, 30_000);
    }
    expect(errorsOn(subjects.requests)[1]?.error).toMatch(/task_objective/);
    expect(errorsOn(subjects.decisions('good-one-0001'))[1]?.error).toMatch(/approval_id/);
    expect(errorsOn(subjects.executeJobs('read_only'))[0]?.error).toMatch(/expected object/i);

    const summary = await good.settled;
    expect(summary.outcome).toBe('succeeded');
    expect(summary.results).toEqual({ ok: true });
    // Nothing but the good execution came of it.
    expect((await client.list()).map((view) => view.execution_id)).toEqual(['good-one-0001']);
  });

  it('answers bad generate and analyze commands with ok: false and a protocol error', async () => {
    for (const subject of [subjects.generate, subjects.analyze]) {
      for (const payload of [notJson, wrongSchema, huge]) {
        const reply = (await raw.request(subject, payload, { timeout: 10_000 })).json<{ ok: boolean; kind: string; message: string }>();
        expect(reply.ok).toBe(false);
        expect(reply.kind).toBe('configuration');
        expect(reply.message).toMatch(/invalid message/);
      }
      await eventually(() => errorsOn(subject).length === 3, `three protocol errors for ${subject}`, 10_000);
    }
  });

  it('has a message over the server limit refused at publish time', async () => {
    const tooBig = JSON.stringify({ task_objective: 'x'.repeat(2_000_000) });
    await expect(js.publish(subjects.requests, tooBig, { msgID: 'too-big' })).rejects.toThrow(/payload|max/i);
  });
});
