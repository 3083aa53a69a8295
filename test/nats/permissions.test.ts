/**
 * The roles of nats-server.conf, enforced by a real server: a requester can
 * submit but cannot publish an approval decision, an approver can; an
 * executor can pull jobs and claim them in KV but cannot enqueue a job or
 * overwrite an execution snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import { kvKeys } from '../../protocol/kv-keys.ts';
import { eventStreams, subjects } from '../../protocol/subjects.ts';
import type { Transport } from '../../bus/transport.ts';
import type { Job } from '../../bus/work-queue.ts';
import { NatsServer } from '../support/nats-server.ts';
import { natsConfigFile, roleLogins, rolePasswords } from '../support/nats-roles.ts';

const { service, requester, approver, executor } = roleLogins;

const executionId = 'exec-0001-perm';
const decision = {
  execution_id: executionId,
  approval_id: 'approval-1',
  code_sha256: 'a'.repeat(64),
  verdict: 'approve',
  reason: '',
  approver: 'someone',
  decided_at: new Date().toISOString(),
};
const until = async (check: () => boolean, what: string): Promise<void> => {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('nats-server.conf roles', () => {
  let server: NatsServer;
  let serviceTransport: Transport;
  const decisions: Job[] = [];
  const requests: Job[] = [];
  const connections: NatsConnection[] = [];
  const plainClient = async (auth: { user: string; pass: string }) => {
    const connection = await connect({ servers: server.url, ...auth });
    connections.push(connection);
    return connection;
  };

  beforeAll(async () => {
    server = await NatsServer.start({ configFile: natsConfigFile, env: rolePasswords, auth: service });
    serviceTransport = await createNatsTransport({ servers: server.url, ...service, keepEventsMs: 60_000 });
    const { queues } = serviceTransport;
    for (const subject of [subjects.requests, subjects.decisionQueue, subjects.executeJobs('read_only')]) await queues.declare(subject);
    await queues.consume(subjects.decisionQueue, async (job) => {
      decisions.push(job);
      await job.ack();
    }, { concurrency: 1, durable: 'supervisors-decisions' });
    await queues.consume(subjects.requests, async (job) => {
      requests.push(job);
      await job.ack();
    }, { concurrency: 1, durable: 'supervisors-requests' });
  });
  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await serviceTransport?.close();
    await server?.dispose();
  });

  it('lets a requester submit a request but not publish an approval decision', async () => {
    const js = jetstream(await plainClient(requester));
    const ack = await js.publish(subjects.requests, JSON.stringify({ task_objective: 'read the beam current' }), { msgID: 'req-1' });
    expect(ack.duplicate).toBe(false);
    await until(() => requests.length === 1, 'the request at the supervisor');

    await expect(js.publish(subjects.decisions(executionId), JSON.stringify(decision), { timeout: 2_000 })).rejects.toThrow(
      /permissions violation/i,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(decisions).toHaveLength(0);
  });

  it('lets an approver publish an approval decision', async () => {
    const js = jetstream(await plainClient(approver));
    await js.publish(subjects.decisions(executionId), JSON.stringify(decision));
    await until(() => decisions.length === 1, 'the decision at the supervisor');
    expect(decisions[0]?.payload).toEqual(decision);
  });

  it('lets requester and approver transports submit, decide and read snapshots, but not write them', async () => {
    await serviceTransport.kv.create(kvKeys.execution('exec-0002-read'), { state: 'awaitingApproval' });
    const asRequester = await createNatsTransport({ servers: server.url, ...requester });
    const asApprover = await createNatsTransport({ servers: server.url, ...approver });
    try {
      await asRequester.queues.declare(subjects.requests);
      await asRequester.queues.enqueue(subjects.requests, 'req-2', { task_objective: 'plot the orbit' });
      await until(() => requests.some((job) => job.id === 'req-2'), 'the request of the requester transport');
      for (const reader of [asRequester, asApprover]) {
        expect(await reader.kv.keys(kvKeys.executionPrefix)).toContain(kvKeys.execution('exec-0002-read'));
        expect((await reader.kv.get(kvKeys.execution('exec-0002-read')))?.value).toEqual({ state: 'awaitingApproval' });
        await expect(reader.kv.create(kvKeys.execution('exec-0003-forged'), { state: 'done' })).rejects.toThrow(/permissions violation/i);
      }
      await asApprover.queues.declare(subjects.decisionQueue);
      const before = decisions.length;
      await asApprover.queues.enqueue(subjects.decisions('exec-0002-read'), 'decision-2', { ...decision, execution_id: 'exec-0002-read' });
      await until(() => decisions.length === before + 1, 'the decision of the approver transport');
    } finally {
      await asRequester.close();
      await asApprover.close();
    }
  });

  it('lets an executor pull jobs and claim them, but not enqueue jobs or overwrite a snapshot', async () => {
    await serviceTransport.kv.create(kvKeys.execution(executionId), { state: 'executing' });
    const transport = await createNatsTransport({ servers: server.url, ...executor });
    try {
      const jobs: Job[] = [];
      const subject = subjects.executeJobs('read_only');
      await transport.queues.declare(subject);
      await transport.queues.consume(subject, async (job) => {
        jobs.push(job);
        await job.ack();
      }, { concurrency: 1, durable: 'executors-read_only' });
      await serviceTransport.queues.enqueue(subject, 'job-1', { code: 'print(1)' });
      await until(() => jobs.length === 1, 'the job at the executor');
      // Refused at once (not retried as if the server were away), and no job is injected.
      await expect(transport.queues.enqueue(subject, 'forged-job', { code: 'caput(...)' })).rejects.toThrow(/permissions violation/i);
      await expect(transport.kv.create(kvKeys.jobClaim('job-1'), { by: 'executor-1' })).resolves.toBeGreaterThan(0);
      const snapshot = await transport.kv.get(kvKeys.execution(executionId));
      expect(snapshot?.value).toEqual({ state: 'executing' });
      await expect(transport.kv.update(kvKeys.execution(executionId), { state: 'done' }, snapshot?.revision ?? 0)).rejects.toThrow(
        /permissions violation/i,
      );
    } finally {
      await transport.close();
    }
  });

  it('lets requester and approver create unnamed consumers (older clients), never publish a decision or cancel on the bare subject', async () => {
    await serviceTransport.kv.create(kvKeys.execution('exec-0004-old'), { state: 'awaitingApproval' });
    for (const role of [requester, approver]) {
      const connection = await plainClient(role);
      // nats.go 1.22's kv.History: an ephemeral push consumer through the unnamed create API.
      const deliver = createInbox();
      const delivered = connection.subscribe(deliver, { max: 1 });
      const reply = await connection.request('$JS.API.CONSUMER.CREATE.KV_pyexec', JSON.stringify({
        stream_name: 'KV_pyexec',
        config: { deliver_subject: deliver, deliver_policy: 'all', ack_policy: 'none', filter_subject: `$KV.pyexec.${kvKeys.execution('exec-0004-old')}` },
      }), { timeout: 5_000 });
      expect(reply.json<{ error?: unknown }>().error).toBeUndefined();
      for await (const message of delivered) expect(message.json()).toEqual({ state: 'awaitingApproval' });
    }
    const asApprover = jetstream(await plainClient(approver));
    await expect(asApprover.publish(subjects.decisionQueue, JSON.stringify(decision), { timeout: 2_000 })).rejects.toThrow(/permissions violation/i);
    const asRequester = jetstream(await plainClient(requester));
    await expect(asRequester.publish(subjects.cancelQueue, JSON.stringify({ execution_id: executionId }), { timeout: 2_000 })).rejects.toThrow(/permissions violation/i);
  });

  it('lets an approver read the pending approval request with a direct get', async () => {
    const approvalSubject = subjects.approvalRequests(executionId);
    await serviceTransport.bus.publish(approvalSubject, { execution_id: executionId, approval_id: 'approval-1' });
    const connection = await plainClient(approver);
    const jsm = await jetstreamManager(connection);
    const stored = await (async () => {
      for (;;) {
        const message = await jsm.direct.getMessage(eventStreams.approvals, { last_by_subj: approvalSubject }).catch(() => null);
        if (message) return message;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    expect(stored.json()).toEqual({ execution_id: executionId, approval_id: 'approval-1' });
  });

  it('lets an executor hear which job to stop', async () => {
    const connection = await plainClient(executor);
    const heard = connection.subscribe(subjects.allJobCancels, { max: 1 });
    await connection.flush();
    const cancel = { command_id: `${executionId}:executing:3`, execution_id: executionId, reason: 'stop', by: 'op' };
    await serviceTransport.bus.publish(subjects.jobCancel(executionId), cancel);
    for await (const message of heard) expect(message.json()).toEqual(cancel);
  });
});

describe('nats-server.conf passwords', () => {
  it('takes a password that looks like a number when the variable holds it in double quotes', async () => {
    const quoted = Object.fromEntries(Object.entries(rolePasswords).map(([name]) => [name, '"1234"'])) as typeof rolePasswords;
    const server = await NatsServer.start({ configFile: natsConfigFile, env: { ...quoted, PYEXEC_NATS_REQUESTER_PASSWORD: '"12e5"' }, auth: { user: service.user, pass: '1234' } });
    try {
      const connection = await connect({ servers: server.url, user: requester.user, pass: '12e5' });
      await connection.close();
    } finally {
      await server.dispose();
    }
  });
});
