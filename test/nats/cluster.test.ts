/**
 * A three-node JetStream cluster on loopback, queue streams and the KV
 * bucket replicated three times: stopping the node that leads the queue
 * stream in the middle of a run loses no job, and the KV bucket keeps
 * answering and accepting compare-and-set writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import { streamNameFor } from '../../bus/nats/work-queue.ts';
import type { Transport } from '../../bus/transport.ts';
import { NatsCluster } from '../support/nats-server.ts';
import { eventually } from '../support/eventually.ts';

const until = (check: () => boolean, what: string) => eventually(check, what, 60_000, 20);

/** The leader's server name and how many replicas follow it. */
async function streamPlacement(urls: string[], stream: string): Promise<{ leader: string | undefined; followers: number }> {
  const connection = await connect({ servers: urls });
  try {
    const info = await (await jetstreamManager(connection)).streams.info(stream);
    return { leader: info.cluster?.leader, followers: info.cluster?.replicas?.length ?? 0 };
  } finally {
    await connection.close();
  }
}

describe('three-node JetStream cluster', () => {
  let cluster: NatsCluster;
  const transports: Transport[] = [];
  beforeAll(async () => {
    cluster = await NatsCluster.start(3);
  });
  afterAll(async () => {
    await Promise.all(transports.map((transport) => transport.close()));
    await cluster?.dispose();
  });

  it('keeps the R3 queue and KV working when the stream leader stops mid-run', async () => {
    const open = async (name: string) => {
      const transport = await createNatsTransport({ servers: cluster.urls, replicas: 3, name });
      transports.push(transport);
      return transport;
    };
    const producer = await open('cluster-producer');
    const workers = [await open('cluster-worker-1'), await open('cluster-worker-2')];
    const subject = 'cluster.jobs';
    const options = { ackWaitMs: 3_000, maxDeliver: 10, dedupWindowMs: 60_000 };
    await producer.queues.declare(subject, options);
    const kept = await producer.kv.create('exec.before-failover', { n: 1 });

    const handled = new Map<string, number>();
    for (const worker of workers) {
      await worker.queues.declare(subject, options);
      await worker.queues.consume(subject, async (job) => {
        await job.ack();
        handled.set(job.id, (handled.get(job.id) ?? 0) + 1);
      }, { concurrency: 2, durable: 'cluster-workers' });
    }

    const ids = Array.from({ length: 100 }, (_, i) => `job-${i}`);
    const queuePlacement = await streamPlacement(cluster.urls, streamNameFor(subject));
    expect(queuePlacement.followers).toBe(2);
    expect((await streamPlacement(cluster.urls, 'KV_pyexec')).followers).toBe(2);
    const leader = cluster.servers.find((server) => server.name === queuePlacement.leader);
    expect(leader, `a test server named ${queuePlacement.leader}`).toBeDefined();
    for (const [index, id] of ids.entries()) {
      if (index === 50) await leader?.stop();
      expect(await producer.queues.enqueue(subject, id, { id })).toEqual({ duplicate: false });
    }
    await until(() => ids.every((id) => handled.has(id)), 'all 100 jobs handled');
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    expect(Math.max(...handled.values())).toBeLessThanOrEqual(2);

    const reader = workers[0] as Transport;
    expect(await reader.kv.get('exec.before-failover')).toEqual({ key: 'exec.before-failover', value: { n: 1 }, revision: kept });
    const next = await producer.kv.update('exec.before-failover', { n: 2 }, kept);
    expect(next).toBeGreaterThan(kept);
    await expect(reader.kv.update('exec.before-failover', { n: 3 }, kept)).rejects.toThrow(/no longer at revision/);
  });

  it('reads the replicated KV through its leader: a value just written is what every client reads next', async () => {
    const connection = await connect({ servers: cluster.urls });
    try {
      // A direct get may be answered by a replica that lags the leader (a redelivered job would miss its stored result).
      expect((await (await jetstreamManager(connection)).streams.info('KV_pyexec')).config.allow_direct).toBe(false);
    } finally {
      await connection.close();
    }
    const writer = transports[0] as Transport;
    const readers = transports.slice(1);
    let revision = await writer.kv.create('exec.read-after-write', { n: 0 });
    for (let n = 1; n <= 100; n++) {
      revision = await writer.kv.update('exec.read-after-write', { n }, revision);
      for (const reader of readers) expect(await reader.kv.get('exec.read-after-write')).toMatchObject({ value: { n }, revision });
    }
  });
});
