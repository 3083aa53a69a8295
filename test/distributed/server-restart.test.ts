/**
 * nats-server stopped and restarted under load: the service and executor
 * processes and the client reconnect by themselves, and every execution
 * submitted before, during and after the outage finishes — none lost, none
 * doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PyexecClient } from '../../client/client.ts';
import { NatsServer } from '../support/nats-server.ts';
import { Deployment } from '../support/deployment.ts';
import { allFinished, runsPerExecution, submitAll } from './load.ts';

describe('nats-server restarted under load', () => {
  let server: NatsServer;
  let deployment: Deployment;
  let client: PyexecClient;

  beforeAll(async () => {
    server = await NatsServer.start();
    deployment = new Deployment(server, server.url);
    await deployment.start('service', ['serve', '--nats', server.url]);
    await deployment.start('executor', ['executor', '--nats', server.url, '--concurrency', '4']);
    ({ client } = await deployment.connect('restart-load-test'));
  });

  afterAll(() => deployment?.stop());

  it('finishes every execution submitted before, during and after the outage, each once', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `restart-load-${String(i).padStart(3, '0')}`);
    const outage = async () => {
      await server.stop();
      // Submissions go on meanwhile: the client retries until the server is back.
      setTimeout(() => void server.restart(), 1_500);
    };
    await submitAll(client, ids, 50, 15, outage);
    const records = await allFinished(client, ids, 90_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${deployment.processes.map((process) => `--- ${process.name}\n${process.output()}`).join('\n')}`);
    });
    expect(records.map((record) => record.outcome)).toEqual(ids.map(() => 'succeeded'));
    const runs = runsPerExecution(deployment.site, ids);
    expect([...runs.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    for (const process of deployment.processes) expect(process.output()).not.toMatch(/unexpected error|FATAL/);
  }, 180_000);
});
