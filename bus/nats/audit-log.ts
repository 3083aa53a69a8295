/**
 * The audit log on NATS: each record is published on `pyexec.audit.<id>`
 * with `Nats-Msg-Id: <id>:<seq>`, so a retried publish is stored once in the
 * pyexec_audit stream (event-streams.ts). A transport that declared the
 * stream (the service's) waits for the stream's acknowledgement of each
 * record; one that did not publishes as the bus does (kept if the stream is
 * there, like events), so a service on a server without it still runs. Reading
 * replays the execution's subject through a short-lived consumer that
 * filters on it (nats-server 2.9 takes one `filter_subject`; the ordered
 * consumer's `filter_subjects` needs 2.10).
 */
import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { AuditLog } from '../audit-log.ts';
import { StoreUnavailableError } from '../kv-store.ts';
import type { AuditMessage } from '../../protocol/audit.ts';
import { eventStreams, subjects } from '../../protocol/subjects.ts';
import { decodePayload, encodePayload } from './payload.ts';
import { isUnavailable } from './unavailable.ts';

/** Messages asked for per fetch while replaying. */
const batchSize = 256;
/** How long one fetch waits for messages the consumer said are pending. */
const fetchWaitMs = 5_000;

export interface NatsAuditLogOptions {
  /** Wait for the stream to acknowledge each record (the stream is known to exist). */
  acknowledged: boolean;
}

export class NatsAuditLog implements AuditLog {
  private readonly js: JetStreamClient;
  private manager: JetStreamManager | null = null;

  constructor(
    private readonly connection: NatsConnection,
    private readonly options: NatsAuditLogOptions,
  ) {
    this.js = jetstream(connection);
  }

  async append(executionId: string, records: AuditMessage[]): Promise<void> {
    const subject = subjects.audit(executionId);
    const messageId = (record: AuditMessage) => `${executionId}:${'seq' in record ? String(record.seq) : '0'}`;
    if (!this.options.acknowledged) {
      for (const record of records) {
        const header = headers();
        header.set('Nats-Msg-Id', messageId(record));
        this.connection.publish(subject, encodePayload(record), { headers: header });
      }
      return;
    }
    // Published together on one connection: stored in this order. A retry
    // after a timeout stores nothing twice: the stream knows the message ids.
    try {
      await Promise.all(records.map((record) => this.js.publish(subject, encodePayload(record), { msgID: messageId(record) })));
    } catch (error) {
      if (isUnavailable(error)) throw new StoreUnavailableError(`audit append for ${executionId}`, error);
      throw error;
    }
  }

  async read(executionId: string): Promise<unknown[] | null> {
    const jsm = (this.manager ??= await this.js.jetstreamManager());
    let consumer: { name: string; num_pending: number };
    try {
      consumer = await jsm.consumers.add(eventStreams.audit, {
        // Named, so the API subject carries the filter ($JS.API.CONSUMER.CREATE.pyexec_audit.<name>.<subject>).
        name: `audit-read-${randomUUID()}`,
        filter_subject: subjects.audit(executionId),
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
        mem_storage: true,
        inactive_threshold: nanos(30_000),
      });
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return null;
      throw error;
    }
    try {
      return await this.replay(consumer.name, consumer.num_pending);
    } finally {
      await jsm.consumers.delete(eventStreams.audit, consumer.name).catch(() => {}); // it expires by itself anyway
    }
  }

  private async replay(consumerName: string, pending: number): Promise<unknown[]> {
    const consumer = await this.js.consumers.get(eventStreams.audit, consumerName);
    const messages: unknown[] = [];
    while (messages.length < pending) {
      const before = messages.length;
      const batch = await consumer.fetch({ max_messages: Math.min(batchSize, pending - messages.length), expires: fetchWaitMs });
      for await (const message of batch) messages.push(decodePayload(message.string()));
      if (messages.length === before) throw new Error(`audit stream: ${pending - before} record(s) of the replay did not arrive within ${fetchWaitMs} ms`);
    }
    return messages;
  }
}
