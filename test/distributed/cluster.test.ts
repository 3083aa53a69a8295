/**
 * A three-node JetStream cluster on loopback, streams and KV bucket with
 * three replicas: one node is stopped during a run of 100 executions, and
 * all 100 finish, each exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PyexecClient } from '../../client/client.ts';
import { NatsCluster } from '../support/nats-server.ts';
import { Deployment } from '../support/deployment.ts';
import { eventually } from '../support/eventually.ts';
import { allFinished, runsPerExecution, submitAll } from './load.ts';

describe('three-node JetStream cluster losing a node', () => {
  let cluster: NatsCluster;
  let deployment: Deployment;
  let client: PyexecClient;

  beforeAll(async () => {
    cluster = await NatsCluster.start(3);
    deployment = new Deployment(cluster, cluster.urls);
    const nats = ['--nats', cluster.urls.join(','), '--replicas', '3'];
    await deployment.start('service', ['serve', ...nats]);
    await deployment.start('executor', ['executor', ...nats, '--concurrency', '4']);
    ({ client } = await deployment.connect('cluster-test', { replicas: 3 }));
  });

  afterAll(() => deployment?.stop());

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
    const runs = runsPerExecution(deployment.site, ids);
    expect([...runs.entries()].filter(([, count]) => count !== 1)).toEqual([]);
  }, 240_000);
});
