/**
 * The distributed transport: core NATS for the bus, a JetStream KV bucket
 * for snapshots, claims and results, JetStream work-queue streams for jobs,
 * and the audit stream for audit records. One connection carries them all.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../logging/logger.ts';
import type { Transport } from '../transport.ts';
import { NatsAuditLog } from './audit-log.ts';
import { NatsBus, type HandlerErrorHook } from './bus.ts';
import { connectNats, type NatsConnectOptions } from './connection.ts';
import { ensureEventStreams } from './event-streams.ts';
import { NatsKvStore } from './kv-store.ts';
import { NatsWorkQueue } from './work-queue.ts';

export interface NatsTransportOptions extends NatsConnectOptions {
  /** KV bucket of snapshots, claims and results. */
  kvBucket?: string;
  /** Values kept per KV key, for audit. */
  kvHistory?: number;
  /** Copies of the KV bucket and of each queue stream (3 on a three-node cluster). */
  replicas?: number;
  /**
   * Keep execution events, approval requests and audit records in streams
   * (event-streams.ts), for this long; declares the streams. The service sets it.
   */
  keepEventsMs?: number;
  /** How long enqueue retries while no server is reachable. */
  enqueueRetryMs?: number;
  logger?: Logger;
  onHandlerError?: HandlerErrorHook;
}

export const defaultKvBucket = 'pyexec';

export async function createNatsTransport(options: NatsTransportOptions): Promise<Transport> {
  const connection = await connectNats(options, options.logger);
  try {
    const replicas = options.replicas ?? 1;
    const kv = await NatsKvStore.open(connection, {
      bucket: options.kvBucket ?? defaultKvBucket,
      history: options.kvHistory ?? 10,
      replicas,
    });
    const queues = await NatsWorkQueue.open(connection, {
      replicas,
      enqueueRetryMs: options.enqueueRetryMs ?? 30_000,
      logger: options.logger,
    });
    if (options.keepEventsMs !== undefined) {
      await ensureEventStreams(await jetstreamManager(connection), { replicas, maxAgeMs: options.keepEventsMs });
    }
    const bus = new NatsBus(connection, options.onHandlerError);
    return {
      bus,
      kv,
      queues,
      auditLog: new NatsAuditLog(connection, { acknowledged: options.keepEventsMs !== undefined }),
      onReconnect: (listener) => onReconnect(connection, listener),
      ping: () => connection.flush(),
      close: async () => {
        await queues.close();
        await bus.close();
        await kv.close();
        await connection.drain();
      },
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

function onReconnect(connection: NatsConnection, listener: () => void): () => void {
  const statuses = connection.status()[Symbol.asyncIterator]();
  void (async () => {
    for (let next = await statuses.next(); !next.done; next = await statuses.next()) {
      if (next.value.type === 'reconnect') listener();
    }
  })();
  return () => void statuses.return?.();
}
