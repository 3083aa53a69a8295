/**
 * Opening a NATS connection for pyexec: the usual credentials (user/password,
 * token, creds file, nkey seed file) and a reconnect policy that never gives
 * up, so a restarted or failed-over server does not cost any process its
 * connection.
 */
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, nkeyAuthenticator, type Authenticator, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../logging/logger.ts';

export interface NatsConnectOptions {
  servers: string | string[];
  user?: string;
  pass?: string;
  token?: string;
  /** A .creds file (JWT and nkey seed), as issued by nsc. */
  credsFile?: string;
  /** A file holding an nkey seed (`SU...`). */
  nkeyFile?: string;
  /** Shown by the server's monitoring: which process this is. */
  name?: string;
}

/**
 * nats.js otherwise builds an Error (with its stack) at the start of every
 * request, KV write and JetStream publish, only to give a possible timeout
 * its call site: measurable CPU on every transition. Errors here are told
 * apart by kind (causedBy), never by that trace.
 */
const noAsyncTraces = true;

/** Wait between reconnect attempts (plus jitter): quick enough for a restart, gentle on a down server. */
const reconnectTimeWaitMs = 500;
const reconnectJitterMs = 250;

export async function connectNats(options: NatsConnectOptions, logger?: Logger): Promise<NatsConnection> {
  const connection = await connect({
    servers: options.servers,
    name: options.name ?? 'pyexec',
    user: options.user,
    pass: options.pass,
    token: options.token,
    authenticator: authenticatorsFor(options),
    maxReconnectAttempts: -1,
    reconnectTimeWait: reconnectTimeWaitMs,
    reconnectJitter: reconnectJitterMs,
    pingInterval: 10_000,
    noAsyncTraces,
  });
  if (logger) void logStatus(connection, logger);
  return connection;
}

function authenticatorsFor(options: NatsConnectOptions): Authenticator[] | undefined {
  const authenticators: Authenticator[] = [];
  if (options.credsFile) {
    const file = options.credsFile;
    authenticators.push(credsAuthenticator(() => readFileSync(file)));
  }
  if (options.nkeyFile) {
    const file = options.nkeyFile;
    authenticators.push(nkeyAuthenticator(() => new TextEncoder().encode(readFileSync(file, 'utf8').trim())));
  }
  return authenticators.length > 0 ? authenticators : undefined;
}

async function logStatus(connection: NatsConnection, logger: Logger): Promise<void> {
  for await (const status of connection.status()) {
    switch (status.type) {
      case 'disconnect':
        logger.warn({ server: status.server }, 'nats disconnected');
        break;
      case 'reconnect':
        logger.info({ server: status.server }, 'nats reconnected');
        break;
      case 'error':
        logger.error({ error: String(status.error) }, 'nats error');
        break;
      default:
        break;
    }
  }
}
