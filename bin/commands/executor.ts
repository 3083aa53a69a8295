/**
 * `pyexec executor --nats URL`: a kernel executor process, one per host. It
 * consumes the execution-job queue of each mode it serves (`--mode`, all
 * configured modes by default), `--concurrency` jobs at once, on the kernel
 * the configuration chooses. Runs until SIGINT/SIGTERM; jobs in hand finish
 * first.
 */
import { Command } from 'commander';
import { subjects } from '../../protocol/subjects.ts';
import { startExecutorActor } from '../../actors/executor-actor.ts';
import { executionHeartbeatMs, queueOptions } from '../../protocol/queues.ts';
import { createKernel } from '../../adapters/kernels/index.ts';
import { writeFolderFiles } from '../../adapters/recorder/folder-recorder.ts';
import { createLogger } from '../../logging/logger.ts';
import { createObservability } from '../../observability/index.ts';
import { openTransport, UsageError } from '../connection.ts';
import { configFrom, withConnectionOptions, type ConnectionOptions } from '../options.ts';
import { untilSignalled } from '../process-lifetime.ts';
import { port, positive } from './serve.ts';

interface ExecutorOptions extends ConnectionOptions {
  mode?: string[];
  concurrency: string;
  name?: string;
  metricsPort?: string;
}

export function executorCommand(): Command {
  return withConnectionOptions(
    new Command('executor')
      .description('run a kernel executor: consume execution jobs from NATS and run them')
      .option('--mode <modes...>', 'execution modes to serve (default: every mode in the configuration)')
      .option('--concurrency <n>', 'jobs run at once', '1')
      .option('--name <name>', 'name reported in results (default: executor@host:pid)')
      .option('--metrics-port <n>', '/metrics, /healthz and /readyz on this port (default: config observability.metrics_port, off; 0 picks a free one)'),
  ).action(async (options: ExecutorOptions) => {
    await runExecutor(options);
  });
}

async function runExecutor(options: ExecutorOptions): Promise<void> {
  if (!options.nats) throw new UsageError('pyexec executor works against a NATS server: give --nats URL (or PYEXEC_NATS_URL)');
  const config = configFrom(options);
  const configured = Object.keys(config.execution.modes);
  const modes = options.mode ?? configured;
  const unknown = modes.filter((mode) => !configured.includes(mode));
  if (unknown.length > 0) throw new UsageError(`--mode: ${unknown.join(', ')} not in the configuration's execution.modes (${configured.join(', ')})`);
  const concurrency = positive(options.concurrency, '--concurrency');
  const logger = createLogger(config.service.log_level);
  const observability = createObservability(config.observability, { role: 'executor', logger, metricsPort: options.metricsPort === undefined ? undefined : port(options.metricsPort, '--metrics-port') });
  const rawKernel = await createKernel(config, { warm: true, logger });
  const kernel = observability ? observability.kernel(rawKernel) : rawKernel;
  const opened = await openTransport(options, config, { name: `pyexec executor (${modes.join(', ')})`, logger });
  const transport = observability ? observability.transport(opened.transport, { supervisor: false }) : opened.transport;
  try {
    await observability?.start();
    if (observability?.url) process.stderr.write(`pyexec executor: metrics at ${observability.url}/metrics\n`);
    for (const mode of modes) await transport.queues.declare(subjects.executeJobs(mode), queueOptions.execution);
    const executor = await startExecutorActor({
      transport,
      modes,
      kernelFor: () => kernel,
      concurrency,
      heartbeatMs: executionHeartbeatMs,
      logger,
      folderFiles: writeFolderFiles,
      name: options.name,
    });
    process.stderr.write(`pyexec executor: ready (${modes.join(', ')}, concurrency ${concurrency})\n`);
    const signal = await untilSignalled();
    process.stderr.write(`pyexec executor: ${signal}, stopping\n`);
    await executor.stop();
  } finally {
    await observability?.stop();
    await transport.close();
    await kernel.close();
  }
}
