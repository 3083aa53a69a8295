/** What every actor is given: the bus, the KV store, the work queues (and, on NATS, the audit log). */
import type { AuditLog } from './audit-log.ts';
import type { Bus } from './bus.ts';
import type { KvStore } from './kv-store.ts';
import type { WorkQueue } from './work-queue.ts';

export interface Transport {
  bus: Bus;
  kv: KvStore;
  queues: WorkQueue;
  /** Audit records kept by the transport (NATS: a JetStream stream); absent on the embedded default. */
  auditLog?: AuditLog;
  /**
   * Calls `listener` whenever the connection comes back after it was lost
   * (core messages sent meanwhile may be gone); returns the unsubscribe.
   * In-process transports never lose it and need not implement this.
   */
  onReconnect?(listener: () => void): () => void;
  /** A round trip to the server (readiness probes); in-process transports have none to make. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}
