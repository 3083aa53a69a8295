/**
 * A nats-server that dies or restarts under load: clients reconnect by
 * themselves, jobs enqueued before, during and after the outage are all
 * handled, and the KV bucket (file storage) keeps every acknowledged write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KvChange } from '../../bus/kv-store.ts';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import type { Transport } from '../../bus/transport.ts';
import { NatsServer } from '../support/nats-server.ts';
import { eventually } from '../support/eventually.ts';

const until = (check: () => boolean, what: string) => eventually(check, what, 30_000, 20);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('nats-server restarts', () => {
  let server: NatsServer | undefined;
  const transports: Transport[] = [];
  const open = async () => {
    const transport = await createNatsTransport({ servers: server?.url ?? '', name: 'restart-test' });
    transports.push(transport);
    return transport;
  };
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((transport) => transport.close()));
    await server?.dispose();
  });

  it('loses no job enqueued before, during or after a kill -9 and restart', async () => {
    server = await NatsServer.start();
    const producer = await open();
    const worker = await open();
    const subject = 'restart.jobs';
    const options = { ackWaitMs: 2_000, maxDeliver: 10, dedupWindowMs: 60_000 };
    await producer.queues.declare(subject, options);
    await worker.queues.declare(subject, options);
    const handled = new Map<string, number>();
    await worker.queues.consume(subject, async (job) => {
      await sleep(5);
      await job.ack();
      handled.set(job.id, (handled.get(job.id) ?? 0) + 1);
    }, { concurrency: 4, durable: 'restart-workers' });

    const ids = Array.from({ length: 300 }, (_, i) => `job-${i}`);
    const enqueueAll = (async () => {
      for (const id of ids) {
        const receipt = await producer.queues.enqueue(subject, id, { id });
        expect(receipt.duplicate).toBe(false);
        await sleep(2);
      }
    })();
    await until(() => handled.size >= 50, '50 jobs handled before the kill');
    await server.kill();
    await sleep(1_000);
    await server.restart();
    await enqueueAll;
    await until(() => ids.every((id) => handled.has(id)), 'every job handled after the restart');
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    // At-least-once: an ack lost with the server may bring a job back once more, never more.
    expect(Math.max(...handled.values())).toBeLessThanOrEqual(2);
  });

  it('keeps KV writes, subscriptions and watches across a graceful restart', async () => {
    server = await NatsServer.start();
    const writer = await open();
    const reader = await open();
    const revision = await writer.kv.create('exec.kept', { state: 'awaitingApproval' });
    const heard: unknown[] = [];
    reader.bus.subscribe('restart.events.>', (message) => void heard.push(message.data));
    const changes: KvChange[] = [];
    await reader.kv.watch('exec.', (change) => changes.push(change));

    await server.stop();
    await sleep(500);
    await server.restart();

    await until(() => {
      void writer.bus.publish('restart.events.x', { after: true });
      return heard.length > 0;
    }, 'a message on the resubscribed subject');
    expect(heard[0]).toEqual({ after: true });
    expect(await reader.kv.get('exec.kept')).toEqual({ key: 'exec.kept', value: { state: 'awaitingApproval' }, revision });
    const next = await writer.kv.update('exec.kept', { state: 'executing' }, revision);
    await until(() => changes.length > 0, 'the watcher to see a write made after the restart');
    expect(changes.at(-1)).toEqual({ key: 'exec.kept', entry: { key: 'exec.kept', value: { state: 'executing' }, revision: next } });
  });
});
