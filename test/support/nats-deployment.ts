/**
 * A pyexec deployment on NATS for end-to-end tests: a real nats-server, a
 * real `pyexec serve --nats URL --with-executor` process (supervisor,
 * generator, analyzer and a kernel executor), and a PyexecClient on its own
 * NATS connection — the "other client" that approves, rejects or looks up.
 */
import { PyexecClient } from '../../client/client.ts';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import type { Transport } from '../../bus/transport.ts';
import { startCli, type CliRun } from './cli.ts';
import { NatsServer } from './nats-server.ts';

export interface NatsDeployment {
  nats: NatsServer;
  /** An operator's client on the same NATS server. */
  client: PyexecClient;
  stop(): Promise<void>;
}

export async function startNatsDeployment(configFile: string): Promise<NatsDeployment> {
  const nats = await NatsServer.start();
  let serve: CliRun | null = null;
  let transport: Transport | null = null;
  try {
    serve = startCli(['serve', '--nats', nats.url, '--with-executor', '--config', configFile]);
    await serve.waitForStderr('pyexec serve: ready', 60_000);
    transport = await createNatsTransport({ servers: [nats.url], name: 'test operator' });
  } catch (error) {
    serve?.child.kill('SIGKILL');
    await nats.dispose();
    throw error;
  }
  const running = serve;
  const opened = transport;
  return {
    nats,
    client: new PyexecClient(opened, 'operator'),
    stop: async () => {
      await opened.close();
      running.child.kill('SIGTERM');
      await running.result;
      await nats.dispose();
    },
  };
}
