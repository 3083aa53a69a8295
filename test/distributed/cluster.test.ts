/**
 * A three-node JetStream cluster on loopback, streams and KV bucket with
 * three replicas: one node is stopped during a run of 100 executions, and
 * all 100 finish, each exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyexecClient } from '../../client/client.ts';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import type { Transport } from '../../bus/transport.ts';
import { NatsCluster } from '../support/nats-server.ts';
import { PyexecProcess, Site } from '../support/pyexec-site.ts';
import { eventually } from '../support/eventually.ts';
import { allFinished, runsPerExecution, submitAll } from './load.ts';

describe('three-node JetStream cluster losing a node', () => {
  let cluster: NatsCluster;
  let site: Site;
  let transport: Transport;
  let client: PyexecClient;
  const processes: PyexecProcess[] = [];

  beforeAll(async () => {
    cluster = await NatsCluster.start(3);
    site = new Site();
    const nats = ['--nats', cluster.urls.join(','), '--replicas', '3'];
    processes.push(await PyexecProcess.start('service', site, ['serve', ...nats]));
    processes.push(await PyexecProcess.start('executor', site, ['executor', ...nats, '--concurrency', '4']));
    transport = await createNatsTransport({ servers: cluster.urls, replicas: 3, name: 'cluster-test' });
    client = new PyexecClient(transport, 'cluster-test');
  });

  afterAll(async () => {
    await transport?.close();
    for (const process of processes) await process.kill();
    await cluster?.dispose();
    site?.dispose();
  });

  it('finishes all 100 executions exactly once with one node stopped midway', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `cluster-run-${String(i).padStart(3, '0')}`);
    const stopped = cluster.servers[0];
    const stopOneNode = async () => {
      // Some executions are done, others in flight, the rest still to come.
      await eventually(async () => (await client.list()).filter((view) => view.state === 'done').length >= 20, '20 executions done');
      await stopped?.stop();
    };
    await submitAll(client, ids, 10, 40, stopOneNode);
    const records = await allFinished(client, ids, 180_000);
    expect(stopped?.running).toBe(false);
    expect(records.map((record) => record.outcome)).toEqual(ids.map(() => 'succeeded'));
    const runs = runsPerExecution(site, ids);
    expect([...runs.entries()].filter(([, count]) => count !== 1)).toEqual([]);
  }, 240_000);
});
