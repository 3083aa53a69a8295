/**
 * `pyexec serve`: the long-running service. On NATS (--nats) it runs the
 * supervisor, generator and analyzer actors (or those named by --actors),
 * and an executor only with --with-executor (executors are usually `pyexec
 * executor` processes, one per host). Without --nats it serves the embedded
 * default over --state-dir, executor included. Runs until SIGINT/SIGTERM.
 */
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { startAnalyzerActor } from '../../actors/analyzer-actor.ts';
import { startGeneratorActor } from '../../actors/generator-actor.ts';
import { generatorCache, startService } from '../../actors/service.ts';
import { createAnalyzer } from '../../adapters/analysis/index.ts';
import { reviewPageSettings, startReviewPage } from '../../review/index.ts';
import { createLogger, type Logger } from '../../logging/logger.ts';
import type { Subscription } from '../../bus/bus.ts';
import type { Transport } from '../../bus/transport.ts';
import type { Config } from '../../config/schema.ts';
import { createObservability, type Observability } from '../../observability/index.ts';
import { openTransport, UsageError } from '../connection.ts';
import { observedAdapters } from '../observed-adapters.ts';
import { configFrom, withConnectionOptions, type ConnectionOptions } from '../options.ts';
import { untilSignalled } from '../process-lifetime.ts';

const actorNames = ['supervisor', 'generator', 'analyzer'] as const;
type ActorName = (typeof actorNames)[number];

interface ServeOptions extends ConnectionOptions {
  actors: string;
  withExecutor?: boolean;
  concurrency: string;
  supervisorId?: string;
  leaseSeconds: string;
  ui?: boolean;
  port?: string;
  host?: string;
  metricsPort?: string;
}

export function serveCommand(): Command {
  return withConnectionOptions(
    new Command('serve')
      .description('run the service: supervisor, generator and analyzer actors (and an executor on the embedded default or with --with-executor)')
      .option('--actors <names>', `actors this process runs, comma-separated (NATS only): ${actorNames.join(', ')}`, actorNames.join(','))
      .option('--with-executor', 'also run a kernel executor in this process (always on without --nats)')
      .option('--concurrency <n>', 'jobs the in-process executor runs at once', '2')
      .option('--supervisor-id <id>', 'stable supervisor id: a restart with the same id resumes its executions at once (default: random)')
      .option('--lease-seconds <s>', 'ownership lease of executions: how soon another supervisor takes over after this one dies', '15')
      .option('--ui', 'also serve the operators\' review page (config ui; docs/review.md)')
      .option('--port <n>', 'port of the review page (default: config ui.port; 0 picks a free one)')
      .option('--host <address>', 'address the review page listens on (default: config ui.host)')
      .option('--metrics-port <n>', '/metrics, /healthz and /readyz on this port (default: config observability.metrics_port, off; 0 picks a free one)'),
  ).action(async (options: ServeOptions) => {
    await serve(options);
  });
}

async function serve(options: ServeOptions): Promise<void> {
  const config = configFrom(options);
  const actors = actorsFrom(options);
  const logger = createLogger(config.service.log_level);
  const pageSettings = options.ui ? reviewPageSettings(config) : null;
  const pagePort = options.port === undefined ? undefined : port(options.port, '--port');
  const observability = createObservability(config.observability, { role: 'serve', logger, metricsPort: options.metricsPort === undefined ? undefined : port(options.metricsPort, '--metrics-port') });
  const opened = await openTransport(options, config, { name: `pyexec serve (${[...actors].join(', ')})`, keepEvents: true, logger });
  const { embedded } = opened;
  const transport = observability ? observability.transport(opened.transport, { supervisor: actors.has('supervisor') }) : opened.transport;
  const stop = actors.has('supervisor')
    ? await startSupervisorProcess(config, transport, embedded, actors, options, logger, observability)
    : await startWorkers(config, transport, actors, logger, observability);
  await observability?.start();
  if (observability?.url) process.stderr.write(`pyexec serve: metrics at ${observability.url}/metrics\n`);
  const page = pageSettings ? await startReviewPage(config, transport, logger, { port: pagePort, host: options.host }, pageSettings) : null;
  if (page) process.stderr.write(`pyexec serve: review page at ${page.url}\n`);
  const signal = await untilSignalled();
  process.stderr.write(`pyexec serve: ${signal}, stopping\n`);
  await page?.close();
  await stop();
  await observability?.stop();
  await transport.close();
}

async function startSupervisorProcess(
  config: Config,
  transport: Transport,
  embedded: boolean,
  actors: Set<ActorName>,
  options: ServeOptions,
  logger: Logger,
  observability: Observability | null,
): Promise<() => Promise<void>> {
  const withExecutor = embedded || options.withExecutor === true;
  const adapters = observability ? await observedAdapters(config, logger, observability, withExecutor) : {};
  const service = await startService(config, {
    transport,
    logger,
    ...adapters,
    actors: { generator: actors.has('generator'), analyzer: actors.has('analyzer'), executor: withExecutor },
    executorConcurrency: positive(options.concurrency, '--concurrency'),
    // Several supervisors share a NATS server: each needs its own id.
    supervisorId: options.supervisorId ?? (embedded ? 'embedded' : `supervisor-${randomUUID().slice(0, 8)}`),
    leaseMs: positive(options.leaseSeconds, '--lease-seconds') * 1000,
  });
  observability?.hostedBy((executionId) => service.supervisor.hosts(executionId));
  process.stderr.write(`pyexec serve: ready (supervisor ${service.supervisor.id}, ${embedded ? 'embedded' : `nats ${options.nats}`})\n`);
  return async () => {
    await service.stop();
    await adapters.kernel?.close();
  };
}

/** Generator and/or analyzer actors alone: scaled apart from the supervisors. */
async function startWorkers(config: Config, transport: Transport, actors: Set<ActorName>, logger: Logger, observability: Observability | null): Promise<() => Promise<void>> {
  const subscriptions: Subscription[] = [];
  const adapters = observability ? await observedAdapters(config, logger, observability, false) : {};
  const generators = adapters.generators ?? generatorCache(config, logger);
  if (actors.has('generator')) subscriptions.push(startGeneratorActor({ bus: transport.bus, generators, logger }));
  if (actors.has('analyzer')) subscriptions.push(startAnalyzerActor({ bus: transport.bus, analyzer: adapters.analyzer ?? (await createAnalyzer(config)), logger }));
  process.stderr.write(`pyexec serve: ready (${[...actors].join(', ')})\n`);
  return async () => void (await Promise.all(subscriptions.map((subscription) => subscription.unsubscribe())));
}

function actorsFrom(options: ServeOptions): Set<ActorName> {
  const names = options.actors.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(actorNames as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) throw new UsageError(`--actors: expected names among ${actorNames.join(', ')}, got "${options.actors}"`);
  const actors = new Set(names as ActorName[]);
  if (!options.nats && actors.size < actorNames.length) throw new UsageError('--actors: the embedded default runs every actor in one process; splitting them needs --nats');
  return actors;
}

export function port(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new UsageError(`${flag}: expected a port number (0-65535), got "${text}"`);
  return value;
}

export function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag}: expected a positive number, got "${text}"`);
  return value;
}
