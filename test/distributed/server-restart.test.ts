/**
 * nats-server stopped and restarted under load: the service and executor
 * processes and the client reconnect by themselves, and every execution
 * submitted before, during and after the outage finishes — none lost, none
 * doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyexecClient } from '../../client/client.ts';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import type { Transport } from '../../bus/transport.ts';
import { NatsServer } from '../support/nats-server.ts';
import { PyexecProcess, Site } from '../support/pyexec-site.ts';
import { allFinished, runsPerExecution, submitAll } from './load.ts';

describe('nats-server restarted under load', () => {
  let server: NatsServer;
  let site: Site;
  let transport: Transport;
  let client: PyexecClient;
  const processes: PyexecProcess[] = [];

  beforeAll(async () => {
    server = await NatsServer.start();
    site = new Site();
    processes.push(await PyexecProcess.start('service', site, ['serve', '--nats', server.url]));
    processes.push(await PyexecProcess.start('executor', site, ['executor', '--nats', server.url, '--concurrency', '4']));
    transport = await createNatsTransport({ servers: server.url, name: 'restart-load-test' });
    client = new PyexecClient(transport, 'restart-load-test');
  });

  afterAll(async () => {
    await transport?.close();
    for (const process of processes) await process.kill();
    await server?.dispose();
    site?.dispose();
  });

  it('finishes every execution submitted before, during and after the outage, each once', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `restart-load-${String(i).padStart(3, '0')}`);
    const outage = async () => {
      await server.stop();
      // Submissions go on meanwhile: the client retries until the server is back.
      setTimeout(() => void server.restart(), 1_500);
    };
    await submitAll(client, ids, 50, 15, outage);
    const records = await allFinished(client, ids, 90_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${processes.map((process) => `--- ${process.name}\n${process.output()}`).join('\n')}`);
    });
    expect(records.map((record) => record.outcome)).toEqual(ids.map(() => 'succeeded'));
    const runs = runsPerExecution(site, ids);
    expect([...runs.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    for (const process of processes) expect(process.output()).not.toMatch(/unexpected error|FATAL/);
  }, 180_000);
});
