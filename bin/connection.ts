/**
 * How a management command reaches executions. On the embedded default the
 * command hosts the service itself over the --state-dir store (so an
 * approved execution runs to the end here).
 */
import type { PyexecClient } from '../actors/client.ts';
import { startService } from '../actors/service.ts';
import { configFrom, type CommonOptions } from './options.ts';

export interface Connection {
  client: PyexecClient;
  /** True when this process runs the actors (executions progress while it waits). */
  hostsService: boolean;
  close(): Promise<void>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export async function connect(options: CommonOptions): Promise<Connection> {
  const config = configFrom(options);
  if (!config.service.state_dir) {
    throw new UsageError('this command needs the store the executions are in: give --state-dir DIR (embedded default)');
  }
  const service = await startService(config);
  return { client: service.client, hostsService: true, close: () => service.stop() };
}
