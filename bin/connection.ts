/**
 * How a command reaches executions: the one place that chooses the
 * transport. Without --nats, the embedded default (in-process bus over the
 * --state-dir store; a management command then hosts the service itself, so
 * an approved execution runs to the end here). With --nats, a NATS server
 * where `pyexec serve` and `pyexec executor` processes do the work.
 */
import { PyexecClient } from '../client/client.ts';
import { startService } from '../actors/service.ts';
import { createMemoryTransport } from '../bus/memory/transport.ts';
import { createNatsTransport } from '../bus/nats/transport.ts';
import type { Transport } from '../bus/transport.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logging/logger.ts';
import { PyexecError } from '../protocol/errors.ts';
import { configFrom, type ConnectionOptions, type NatsOptions } from './options.ts';

export interface Connection {
  client: PyexecClient;
  /** True when this process runs the actors (executions progress while it waits). */
  hostsService: boolean;
  close(): Promise<void>;
}

export class UsageError extends PyexecError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

export interface TransportPurpose {
  /** Shown by the NATS server's monitoring (`pyexec serve`, `pyexec executor`, ...). */
  name: string;
  /** Keep execution events and approval requests in streams (the service sets it). */
  keepEvents?: boolean;
  logger?: Logger;
}

export interface OpenedTransport {
  transport: Transport;
  /** True on the in-process default: the actors must run in this process. */
  embedded: boolean;
}

/** Events and approval requests are kept this long for late watchers and approvers. */
export const keepEventsMs = 7 * 24 * 3600 * 1000;

export async function openTransport(options: ConnectionOptions, config: Config, purpose: TransportPurpose): Promise<OpenedTransport> {
  if (!options.nats) {
    return { transport: createMemoryTransport({ stateDir: config.service.state_dir }), embedded: true };
  }
  const transport = await createNatsTransport({
    ...natsCredentials(options),
    servers: options.nats.split(',').map((url) => url.trim()).filter(Boolean),
    name: purpose.name,
    replicas: replicasFrom(options.replicas),
    keepEventsMs: purpose.keepEvents ? keepEventsMs : undefined,
    logger: purpose.logger,
  });
  return { transport, embedded: false };
}

export async function connect(options: ConnectionOptions): Promise<Connection> {
  const config = configFrom(options);
  if (options.nats) {
    const { transport } = await openTransport(options, config, { name: 'pyexec client' });
    return { client: new PyexecClient(transport, process.env.USER ?? 'cli'), hostsService: false, close: () => transport.close() };
  }
  if (!config.service.state_dir) {
    throw new UsageError('this command needs the store the executions are in: give --state-dir DIR (embedded default) or --nats URL');
  }
  // A command that hosts the service briefly runs few executions: no fork server to warm up.
  const service = await startService(config, { warmKernel: false });
  return { client: service.client, hostsService: true, close: () => service.stop() };
}

function natsCredentials(options: NatsOptions): { user?: string; pass?: string; token?: string; credsFile?: string; nkeyFile?: string } {
  if (options.password !== undefined && options.user === undefined) throw new UsageError('--password needs --user');
  return { user: options.user, pass: options.password, token: options.token, credsFile: options.creds, nkeyFile: options.nkey };
}

function replicasFrom(text: string | undefined): number {
  if (text === undefined) return 1;
  const replicas = Number(text);
  if (![1, 3, 5].includes(replicas)) throw new UsageError(`--replicas: expected 1, 3 or 5 (JetStream replica counts), got "${text}"`);
  return replicas;
}
