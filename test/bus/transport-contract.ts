/**
 * The contract every transport honours (bus, KV store, work queues), written
 * against the interfaces only. The in-process and NATS implementations each
 * run it: `runTransportContract(name, makeTransport)`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BusTimeoutError, NoRespondersError, type Message } from '../../bus/bus.ts';
import { CasConflictError, type KvChange } from '../../bus/kv-store.ts';
import type { Transport } from '../../bus/transport.ts';
import type { Job } from '../../bus/work-queue.ts';
import { eventually } from '../support/eventually.ts';

export type TransportFactory = () => Promise<Transport>;

const until = (check: () => boolean, what = 'condition') => eventually(check, what, 5_000, 10);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Each test uses its own subjects and keys, so a shared server never mixes them. */
const unique = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export function runTransportContract(name: string, makeTransport: TransportFactory): void {
  describe(`transport contract: ${name}`, () => {
    let transport: Transport;
    let prefix: string;
    beforeEach(async () => {
      transport = await makeTransport();
      prefix = unique();
    });
    afterEach(async () => {
      await transport.close();
    });

    describe('bus', () => {
      it('delivers a published message to every plain subscriber, as a copy', async () => {
        const seen: unknown[][] = [[], []];
        for (const list of seen) transport.bus.subscribe(`${prefix}.a`, (m) => void list.push(m.data));
        const payload = { n: 1, nested: { list: [1, 2] } };
        await transport.bus.publish(`${prefix}.a`, payload);
        payload.nested.list.push(3);
        await until(() => seen.every((list) => list.length === 1), 'both subscribers');
        expect(seen).toEqual([[{ n: 1, nested: { list: [1, 2] } }], [{ n: 1, nested: { list: [1, 2] } }]]);
      });

      it('matches * and > wildcards', async () => {
        const star: string[] = [];
        const rest: string[] = [];
        transport.bus.subscribe(`${prefix}.*.x`, (m) => void star.push(m.subject));
        transport.bus.subscribe(`${prefix}.>`, (m) => void rest.push(m.subject));
        for (const subject of [`${prefix}.1.x`, `${prefix}.2.y`, `${prefix}.3.x.z`]) await transport.bus.publish(subject, {});
        await until(() => rest.length === 3, 'wildcard deliveries');
        await sleep(50);
        expect(star).toEqual([`${prefix}.1.x`]);
        expect(rest.sort()).toEqual([`${prefix}.1.x`, `${prefix}.2.y`, `${prefix}.3.x.z`]);
      });

      it('gives each message to exactly one member of a queue group', async () => {
        const counts = [0, 0, 0];
        counts.forEach((_, index) =>
          transport.bus.subscribe(`${prefix}.q`, () => void (counts[index] = (counts[index] ?? 0) + 1), { queue: 'workers' }),
        );
        for (let i = 0; i < 30; i++) await transport.bus.publish(`${prefix}.q`, { i });
        await until(() => counts.reduce((a, b) => a + b, 0) === 30, '30 deliveries');
        await sleep(100);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(30);
      });

      it('answers a request, and times out or reports no responders', async () => {
        transport.bus.subscribe(`${prefix}.echo`, (m: Message) => transport.bus.respond(m, { echoed: m.data }));
        await expect(transport.bus.request(`${prefix}.echo`, { x: 1 }, { timeoutMs: 2_000 })).resolves.toEqual({ echoed: { x: 1 } });
        transport.bus.subscribe(`${prefix}.silent`, () => {});
        await expect(transport.bus.request(`${prefix}.silent`, {}, { timeoutMs: 200 })).rejects.toBeInstanceOf(BusTimeoutError);
        await expect(transport.bus.request(`${prefix}.nobody`, {}, { timeoutMs: 2_000 })).rejects.toBeInstanceOf(NoRespondersError);
      });

      it('carries headers on publish and request, and none when none were sent', async () => {
        const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
        const received: Message[] = [];
        transport.bus.subscribe(`${prefix}.h`, (m) => void received.push(m));
        transport.bus.subscribe(`${prefix}.hr`, (m: Message) => transport.bus.respond(m, { traceparent: m.headers?.traceparent ?? null }));
        await transport.bus.publish(`${prefix}.h`, { with: true }, { headers: { traceparent } });
        await transport.bus.publish(`${prefix}.h`, { with: false });
        await until(() => received.length === 2, 'two messages');
        expect(received.map((m) => m.headers?.traceparent)).toEqual([traceparent, undefined]);
        await expect(transport.bus.request(`${prefix}.hr`, {}, { timeoutMs: 2_000, headers: { traceparent } })).resolves.toEqual({ traceparent });
      });

      it('stops delivering after unsubscribe', async () => {
        const seen: unknown[] = [];
        const subscription = transport.bus.subscribe(`${prefix}.u`, (m) => void seen.push(m.data));
        await transport.bus.publish(`${prefix}.u`, 1);
        await until(() => seen.length === 1);
        await subscription.unsubscribe();
        await transport.bus.publish(`${prefix}.u`, 2);
        await sleep(100);
        expect(seen).toEqual([1]);
      });
    });

    describe('kv store', () => {
      it('creates once, then updates only at the expected revision', async () => {
        const key = `${prefix}.k`;
        const first = await transport.kv.create(key, { v: 1 });
        await expect(transport.kv.create(key, { v: 2 })).rejects.toBeInstanceOf(CasConflictError);
        const second = await transport.kv.update(key, { v: 2 }, first);
        expect(second).toBeGreaterThan(first);
        await expect(transport.kv.update(key, { v: 3 }, first)).rejects.toBeInstanceOf(CasConflictError);
        expect(await transport.kv.get(key)).toEqual({ key, value: { v: 2 }, revision: second });
      });

      it('lets exactly one of two concurrent writers win a compare-and-set', async () => {
        const key = `${prefix}.race`;
        const revision = await transport.kv.create(key, { owner: null });
        const attempts = await Promise.allSettled([
          transport.kv.update(key, { owner: 'a' }, revision),
          transport.kv.update(key, { owner: 'b' }, revision),
        ]);
        expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
        const rejected = attempts.find((a) => a.status === 'rejected');
        expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(CasConflictError);
      });

      it('lists keys by prefix, deletes, and returns null for a missing key', async () => {
        await transport.kv.create(`${prefix}.exec.a`, 1);
        await transport.kv.create(`${prefix}.exec.b`, 2);
        await transport.kv.create(`${prefix}.other`, 3);
        expect(await transport.kv.keys(`${prefix}.exec.`)).toEqual([`${prefix}.exec.a`, `${prefix}.exec.b`]);
        await transport.kv.delete(`${prefix}.exec.a`);
        expect(await transport.kv.get(`${prefix}.exec.a`)).toBeNull();
        expect(await transport.kv.keys(`${prefix}.exec.`)).toEqual([`${prefix}.exec.b`]);
        // A deleted key can be created again.
        await expect(transport.kv.create(`${prefix}.exec.a`, 4)).resolves.toBeGreaterThan(0);
      });

      it('reports later changes under a prefix to a watcher', async () => {
        const changes: KvChange[] = [];
        const watch = await transport.kv.watch(`${prefix}.w.`, (change) => changes.push(change));
        await transport.kv.create(`${prefix}.w.one`, { n: 1 });
        await transport.kv.create(`${prefix}.elsewhere`, { n: 2 });
        await transport.kv.delete(`${prefix}.w.one`);
        await until(() => changes.length >= 2, 'two watched changes');
        await watch.stop();
        expect(changes.map((c) => [c.key, c.entry?.value ?? null])).toEqual([
          [`${prefix}.w.one`, { n: 1 }],
          [`${prefix}.w.one`, null],
        ]);
      });
    });

    describe('work queue', () => {
      const options = { ackWaitMs: 400, maxDeliver: 3, dedupWindowMs: 60_000 };

      it('delivers each job once to one consumer and drops a duplicate job id', async () => {
        const subject = `${prefix}.jobs`;
        await transport.queues.declare(subject, options);
        const handled: string[] = [];
        const consumers = await Promise.all(
          [1, 2].map(() =>
            transport.queues.consume(subject, async (job: Job) => {
              handled.push(job.id);
              await job.ack();
            }, { concurrency: 2, durable: `${prefix}-workers` }),
          ),
        );
        for (let i = 0; i < 10; i++) expect(await transport.queues.enqueue(subject, `job-${i}`, { i })).toEqual({ duplicate: false });
        expect(await transport.queues.enqueue(subject, 'job-3', { i: 3 })).toEqual({ duplicate: true });
        await until(() => handled.length === 10, '10 jobs');
        await sleep(600);
        expect(handled.sort()).toEqual([...Array(10).keys()].map((i) => `job-${i}`).sort());
        await Promise.all(consumers.map((c) => c.stop()));
      });

      it('hands a job the headers it was enqueued with', async () => {
        const subject = `${prefix}.headed`;
        await transport.queues.declare(subject, options);
        const seen: Array<string | undefined> = [];
        const consumer = await transport.queues.consume(subject, async (job: Job) => {
          seen.push(job.headers?.traceparent);
          await job.ack();
        }, { concurrency: 1, durable: `${prefix}-headed` });
        await transport.queues.enqueue(subject, 'with-headers', {}, { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
        await until(() => seen.length === 1, 'the job');
        expect(seen).toEqual(['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']);
        await consumer.stop();
      });

      it('catches jobs published on a sub-subject of the queue', async () => {
        const subject = `${prefix}.decisions`;
        await transport.queues.declare(subject, options);
        const got: Job[] = [];
        const consumer = await transport.queues.consume(subject, async (job) => {
          got.push(job);
          await job.ack();
        }, { concurrency: 1, durable: `${prefix}-d` });
        await transport.queues.enqueue(`${subject}.exec1`, 'd1', { verdict: 'approve' });
        await until(() => got.length === 1);
        expect(got[0]?.subject).toBe(`${subject}.exec1`);
        expect(got[0]?.payload).toEqual({ verdict: 'approve' });
        await consumer.stop();
      });

      it('redelivers an unacknowledged job after ack-wait, at most max-deliver times', async () => {
        const subject = `${prefix}.redeliver`;
        await transport.queues.declare(subject, options);
        const deliveries: number[] = [];
        const consumer = await transport.queues.consume(subject, async (job) => {
          deliveries.push(job.deliveryCount);
        }, { concurrency: 1, durable: `${prefix}-r` });
        await transport.queues.enqueue(subject, 'lost', {});
        await until(() => deliveries.length === 3, 'three deliveries');
        await sleep(1_000);
        expect(deliveries).toEqual([1, 2, 3]);
        await consumer.stop();
      });

      it('redelivers at once on nak, never after term, and keeps an in-progress job', async () => {
        const subject = `${prefix}.nak`;
        await transport.queues.declare(subject, options);
        const log: string[] = [];
        const consumer = await transport.queues.consume(subject, async (job) => {
          log.push(`${job.id}#${job.deliveryCount}`);
          if (job.id === 'nak' && job.deliveryCount === 1) return job.nak();
          if (job.id === 'term') return job.term();
          if (job.id === 'slow') {
            // Twice the ack-wait, kept alive by in-progress signals.
            for (let i = 0; i < 4; i++) {
              await sleep(200);
              await job.inProgress();
            }
          }
          await job.ack();
        }, { concurrency: 3, durable: `${prefix}-n` });
        await transport.queues.enqueue(subject, 'nak', {});
        await transport.queues.enqueue(subject, 'term', {});
        await transport.queues.enqueue(subject, 'slow', {});
        await until(() => log.includes('nak#2') && log.includes('slow#1'), 'nak redelivery');
        await sleep(1_200);
        expect(log.sort()).toEqual(['nak#1', 'nak#2', 'slow#1', 'term#1']);
        await consumer.stop();
      });

      it('keeps jobs enqueued while no consumer runs, for the next consumer', async () => {
        const subject = `${prefix}.later`;
        await transport.queues.declare(subject, options);
        await transport.queues.enqueue(subject, 'early', { kept: true });
        const got: unknown[] = [];
        const consumer = await transport.queues.consume(subject, async (job) => {
          got.push(job.payload);
          await job.ack();
        }, { concurrency: 1, durable: `${prefix}-l` });
        await until(() => got.length === 1);
        expect(got).toEqual([{ kept: true }]);
        await consumer.stop();
      });
    });
  });
}
