/**
 * The whole service on one transport: supervisor, generator, analyzer and
 * executor actors, plus a client. On the embedded default all of them run in
 * this process on the in-process bus; on NATS each can run in its own. It is
 * the actors' composition root: it builds the adapters from config (kernel,
 * analyzer, generators, the execution folders' recorder) and plugs them in.
 */
import type { Transport } from '../bus/transport.ts';
import { createMemoryTransport } from '../bus/memory/transport.ts';
import type { Config } from '../config/schema.ts';
import { createAnalyzer } from '../adapters/analysis/index.ts';
import type { CodeAnalyzer } from '../adapters/analysis/analyzer.ts';
import { createGenerator, type CodeGenerator } from '../adapters/generators/index.ts';
import { createKernel } from '../adapters/kernels/index.ts';
import type { Kernel } from '../adapters/kernels/kernel.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { createFolderRecorder, writeFolderFiles } from '../adapters/recorder/folder-recorder.ts';
import { startAnalyzerActor } from './analyzer-actor.ts';
import { PyexecClient } from '../client/client.ts';
import { startExecutorActor } from './executor-actor.ts';
import { startGeneratorActor, type GeneratorLookup } from './generator-actor.ts';
import { executionHeartbeatMs } from '../protocol/queues.ts';
import { Supervisor } from './supervisor.ts';

export interface ServiceOptions {
  /** Defaults to the in-process transport (with config.service.state_dir when set). */
  transport?: Transport;
  logger?: Logger;
  /** Replaces the kernel chosen by config (benchmarks use a no-op kernel; tests inject faults). */
  kernel?: Kernel;
  /** Replaces the analyzer built from config (tests inject faults). */
  analyzer?: CodeAnalyzer;
  /** Replaces the generator lookup built from config (tests script the generator). */
  generators?: GeneratorLookup;
  /** Local kernel: fork from a preloaded Python (default true on the embedded default). */
  warmKernel?: boolean;
  executorConcurrency?: number;
  supervisorId?: string;
  /**
   * Which of the worker actors run in this process (each default true). On
   * NATS they may run elsewhere: executors are usually their own processes.
   */
  actors?: Partial<Record<'generator' | 'analyzer' | 'executor', boolean>>;
  /** Ownership lease of the supervisor's executions (default: Supervisor's). */
  leaseMs?: number;
}

export interface PyexecService {
  readonly client: PyexecClient;
  readonly supervisor: Supervisor;
  readonly transport: Transport;
  stop(): Promise<void>;
}

export async function startService(config: Config, options: ServiceOptions = {}): Promise<PyexecService> {
  const logger = options.logger ?? createLogger(config.service.log_level);
  const transport = options.transport ?? createMemoryTransport({ stateDir: config.service.state_dir });
  const generators = options.generators ?? generatorCache(config, logger);
  const analyzer = options.analyzer ?? (await createAnalyzer(config));
  const withExecutor = options.actors?.executor ?? true;
  const kernel = options.kernel ?? (withExecutor ? await createKernel(config, { warm: options.warmKernel ?? true, logger }) : null);

  const recorder = createFolderRecorder({
    executionsRoot: config.service.executions_root,
    kv: transport.kv,
    auditLog: transport.auditLog ?? null,
    auditRetrying: (error) => logger.warn({ err: error }, 'audit record or anchor retried: store unavailable'),
  });
  const supervisor = new Supervisor({ transport, config, logger, recorder, id: options.supervisorId ?? 'embedded', leaseMs: options.leaseMs });
  const generatorActor = options.actors?.generator === false ? null : startGeneratorActor({ bus: transport.bus, generators, logger });
  const analyzerActor = options.actors?.analyzer === false ? null : startAnalyzerActor({ bus: transport.bus, analyzer, logger });
  await supervisor.start();
  const executor = kernel && withExecutor
    ? await startExecutorActor({
        transport,
        modes: Object.keys(config.execution.modes),
        kernelFor: () => kernel,
        concurrency: options.executorConcurrency ?? 2,
        heartbeatMs: executionHeartbeatMs,
        logger,
        folderFiles: writeFolderFiles,
      })
    : null;

  return {
    client: new PyexecClient(transport),
    supervisor,
    transport,
    stop: async () => {
      await executor?.stop();
      await supervisor.stop();
      await generatorActor?.unsubscribe();
      await analyzerActor?.unsubscribe();
      if (!options.kernel) await kernel?.close();
      if (!options.transport) await transport.close();
    },
  };
}

/** Generators are built once per name and reused. */
export function generatorCache(config: Config, logger: Logger): (name: string | undefined) => Promise<CodeGenerator> {
  const built = new Map<string, Promise<CodeGenerator>>();
  return (name) => {
    const key = name ?? config.execution.code_generator;
    let generator = built.get(key);
    if (!generator) {
      generator = createGenerator(config, key, { logger });
      // A failed build is not cached: the next request tries again.
      generator.catch(() => built.delete(key));
      built.set(key, generator);
    }
    return generator;
  };
}
