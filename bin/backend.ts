/**
 * For commands that serve many executions from one process (`pyexec mcp`,
 * `pyexec pipeline`): the embedded service running here (--state-dir keeps
 * its executions, optional), or a client of the service on NATS (--nats).
 */
import { PyexecClient } from '../client/client.ts';
import { startService } from '../actors/service.ts';
import type { Logger } from '../logging/logger.ts';
import type { Config } from '../config/schema.ts';
import { openTransport } from './connection.ts';
import type { ConnectionOptions } from './options.ts';

export interface Backend {
  client: PyexecClient;
  /** True when the service runs in this process (nobody else can approve unless it keeps --state-dir). */
  embedded: boolean;
  close(): Promise<void>;
}

export async function openBackend(options: ConnectionOptions, config: Config, purpose: { name: string; identity: string; logger: Logger; warmKernel: boolean }): Promise<Backend> {
  if (options.nats) {
    const { transport } = await openTransport(options, config, { name: purpose.name, logger: purpose.logger });
    return { client: new PyexecClient(transport, purpose.identity), embedded: false, close: () => transport.close() };
  }
  const service = await startService(config, { logger: purpose.logger, warmKernel: purpose.warmKernel });
  return { client: service.client, embedded: true, close: () => service.stop() };
}
