/** The embedded default: in-process bus and queues, KV in memory or on disk (--state-dir). */
import type { Transport } from '../transport.ts';
import { FileKvStore } from '../file-kv-store.ts';
import { MemoryBus } from './bus.ts';
import { MemoryKvStore } from './kv-store.ts';
import { MemoryWorkQueue } from './work-queue.ts';

export function createMemoryTransport(options: { stateDir?: string | null; onHandlerError?: (error: unknown, subject: string) => void } = {}): Transport {
  const bus = new MemoryBus(options.onHandlerError);
  const kv = options.stateDir ? FileKvStore.open(options.stateDir) : new MemoryKvStore();
  const queues = new MemoryWorkQueue();
  return {
    bus,
    kv,
    queues,
    close: async () => {
      await queues.close();
      await bus.close();
      await kv.close();
    },
  };
}
