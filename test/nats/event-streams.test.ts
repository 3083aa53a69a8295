/**
 * Events and approval requests published on the bus are kept by JetStream
 * (keepEventsMs): a watcher who connects after the fact replays one
 * execution's events in order, and an approver finds the pending approval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckPolicy, DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import { eventStreams, subjects } from '../../protocol/subjects.ts';
import type { Transport } from '../../bus/transport.ts';
import { NatsServer } from '../support/nats-server.ts';

describe('event streams', () => {
  let server: NatsServer;
  let service: Transport;
  beforeAll(async () => {
    server = await NatsServer.start();
    service = await createNatsTransport({ servers: server.url, keepEventsMs: 60_000 });
  });
  afterAll(async () => {
    await service?.close();
    await server?.dispose();
  });

  it('replays one execution’s events and keeps only the latest approval request', async () => {
    for (const seq of [0, 1, 2]) {
      await service.bus.publish(subjects.events('exec-aaaa-0001'), { kind: 'state', seq });
      await service.bus.publish(subjects.events('exec-bbbb-0002'), { kind: 'state', seq });
    }
    await service.bus.publish(subjects.approvalRequests('exec-aaaa-0001'), { approval_id: 'first' });
    await service.bus.publish(subjects.approvalRequests('exec-aaaa-0001'), { approval_id: 'second' });

    const late = await connect({ servers: server.url });
    try {
      const js = jetstream(late);
      const jsm = await js.jetstreamManager();
      // nats-server 2.9 takes one filter_subject (the ordered consumer's filter_subjects needs 2.10).
      const { name } = await jsm.consumers.add(eventStreams.events, {
        filter_subject: subjects.events('exec-aaaa-0001'),
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
        inactive_threshold: nanos(30_000),
      });
      const replay = await js.consumers.get(eventStreams.events, name);
      const seen: unknown[] = [];
      while (seen.length < 3) {
        const message = await replay.next({ expires: 2_000 });
        if (!message) break;
        seen.push(message.json());
      }
      expect(seen).toEqual([0, 1, 2].map((seq) => ({ kind: 'state', seq })));
      const pending = await jsm.streams.getMessage(eventStreams.approvals, {
        last_by_subj: subjects.approvalRequests('exec-aaaa-0001'),
      });
      expect(pending?.json()).toEqual({ approval_id: 'second' });
    } finally {
      await late.close();
    }
  });
});
