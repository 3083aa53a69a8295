/** The three services every actor is given: the bus, the KV store, the work queues. */
import type { Bus } from './bus.ts';
import type { KvStore } from './kv-store.ts';
import type { WorkQueue } from './work-queue.ts';

export interface Transport {
  bus: Bus;
  kv: KvStore;
  queues: WorkQueue;
  close(): Promise<void>;
}
