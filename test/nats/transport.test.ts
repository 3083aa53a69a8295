import { afterAll, beforeAll } from 'vitest';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import { runTransportContract } from '../bus/transport-contract.ts';
import { NatsServer } from '../support/nats-server.ts';

let server: NatsServer;
beforeAll(async () => {
  server = await NatsServer.start();
});
afterAll(async () => {
  await server?.dispose();
});

runTransportContract('NATS JetStream', () => createNatsTransport({ servers: server.url, name: 'contract-test' }));
