/**
 * The KV store on a JetStream KV bucket. Revisions are the bucket stream's
 * sequence numbers; compare-and-set is the server's expected-last-sequence
 * check, so two supervisors on different hosts can never both win a write.
 * The bucket keeps `history` values per key for audit (`nats kv history`).
 */
import { JetStreamApiCodes, JetStreamApiError, StorageType, jetstreamManager } from '@nats-io/jetstream';
import { Kvm, KvWatchInclude, type KV, type KvEntry as NatsKvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { KvChange, KvEntry, KvStore, KvWatch } from '../kv-store.ts';
import { CasConflictError, KvUnavailableError } from '../kv-store.ts';
import { decodePayload, encodePayload } from './payload.ts';
import { isUnavailable } from './unavailable.ts';

export interface NatsKvOptions {
  bucket: string;
  /** Values kept per key (JetStream allows 1-64). */
  history: number;
  /** Copies of the bucket in a JetStream cluster (1, 3 or 5). */
  replicas: number;
}

export class NatsKvStore implements KvStore {
  private readonly watches = new Set<KvWatch>();

  private constructor(private readonly kv: KV) {}

  /**
   * Opens the bucket, creating it (file storage) when it does not exist yet.
   * Looking before creating lets a process with read/write rights on the
   * bucket but no right to create streams (an executor) open it.
   */
  static async open(connection: NatsConnection, options: NatsKvOptions): Promise<NatsKvStore> {
    const jsm = await jetstreamManager(connection);
    const existing = await jsm.streams.info(`KV_${options.bucket}`).catch((error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return null;
      throw error;
    });
    const kvm = new Kvm(connection);
    if (existing) return new NatsKvStore(await kvm.open(options.bucket, { allow_direct: existing.config.allow_direct }));
    // Direct gets are answered by any replica, which may lag the leader: a redelivered job would not
    // see its stored result and a read-only job would run twice. A replicated bucket reads through its
    // leader; a single server is consistent either way and keeps the faster direct get.
    const limits = { history: options.history, replicas: options.replicas, storage: StorageType.File, allow_direct: options.replicas === 1 };
    return new NatsKvStore(await kvm.create(options.bucket, limits));
  }

  async get(key: string): Promise<KvEntry | null> {
    return toEntry(await unavailableAs('get', key, () => this.kv.get(key)));
  }

  async create(key: string, value: unknown): Promise<number> {
    try {
      return await unavailableAs('create', key, () => this.kv.create(key, encodePayload(value)));
    } catch (error) {
      if (isWrongLastSequence(error)) throw new CasConflictError(key, null);
      throw error;
    }
  }

  async update(key: string, value: unknown, expectedRevision: number): Promise<number> {
    try {
      return await unavailableAs('update', key, () => this.kv.update(key, encodePayload(value), expectedRevision));
    } catch (error) {
      if (isWrongLastSequence(error)) throw new CasConflictError(key, expectedRevision);
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await unavailableAs('delete', key, () => this.kv.delete(key));
  }

  async keys(prefix = ''): Promise<string[]> {
    return unavailableAs('keys', `${prefix}*`, async () => {
      const found: string[] = [];
      for await (const key of await this.kv.keys(subjectFilterFor(prefix))) {
        if (key.startsWith(prefix)) found.push(key);
      }
      return found.sort();
    });
  }

  async watch(prefix: string, onChange: (change: KvChange) => void): Promise<KvWatch> {
    const updates = await this.kv.watch({ key: subjectFilterFor(prefix), include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      for await (const update of updates) {
        if (update.key.startsWith(prefix)) onChange({ key: update.key, entry: toEntry(update) });
      }
    })();
    const watch: KvWatch = {
      stop: async () => {
        this.watches.delete(watch);
        updates.stop();
      },
    };
    this.watches.add(watch);
    return watch;
  }

  async close(): Promise<void> {
    await Promise.all([...this.watches].map((watch) => watch.stop()));
  }
}

/** A deleted or purged key reads as absent, like a key that never existed. */
function toEntry(entry: NatsKvEntry | null): KvEntry | null {
  if (!entry || entry.operation !== 'PUT') return null;
  return { key: entry.key, value: decodePayload(entry.string()), revision: entry.revision };
}

/**
 * Timeouts, a lost connection and "no JetStream leader right now" (503)
 * become KvUnavailableError, so callers can tell them from refusals.
 */
async function unavailableAs<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isUnavailable(error)) throw new KvUnavailableError(operation, key, error);
    throw error;
  }
}

function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * KV keys are subject tokens: a prefix narrows the server-side filter down to
 * its whole tokens (`exec.` → `exec.>`); the rest is matched here.
 */
function subjectFilterFor(prefix: string): string {
  const lastDot = prefix.lastIndexOf('.');
  return lastDot < 0 ? '>' : `${prefix.slice(0, lastDot + 1)}>`;
}
