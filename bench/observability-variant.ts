/**
 * One variant of the observability bench (observability.bench.ts) in a
 * process of its own: an embedded service with the no-op kernel, the mock
 * generator and the real analyzer, uninstrumented or instrumented as the
 * variant says. The parent process asks for a round over IPC; the answer is
 * the round's rate, the CPU time this process spent on it and the latency
 * of each execution. Its own process keeps the garbage and the JIT state of
 * one variant out of another's rounds.
 *
 * Usage (by the parent, with `--import tsx`): observability-variant.ts VARIANT OTLP_ENDPOINT EXECUTIONS_ROOT
 */
import { pathToFileURL } from 'node:url';
import { generatorCache, startService, type PyexecService } from '../actors/service.ts';
import { createAnalyzer } from '../adapters/analysis/index.ts';
import { createMemoryTransport } from '../bus/memory/transport.ts';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { silentLogger } from '../logging/logger.ts';
import { Observability } from '../observability/index.ts';
import { createTracing } from '../observability/tracing.ts';
import { noopKernel } from '../test/support/noop-kernel.ts';

export const variants = ['none', 'none_again', 'metrics', 'metrics_and_traces', 'metrics_and_traces_sampled_10pct'] as const;
export type Variant = (typeof variants)[number];

/** What the parent asks: one round of `executions`, `inFlight` at a time. */
export interface RoundRequest {
  executions: number;
  inFlight: number;
}

export interface Round {
  perSecond: number;
  cpuMsPerExecution: number;
  latenciesMs: number[];
}

interface RunningVariant {
  service: PyexecService;
  /** Work the variant leaves for later (a batch of spans to export), done now so its round is charged. */
  settle: () => Promise<void>;
  stop: () => Promise<void>;
}

/** How an operator samples (docs/operations.md): the OpenTelemetry SDK reads these when the tracer provider is made. */
const sampledTenPercent = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };

function tracingFor(variant: Variant, otlpEndpoint: string) {
  if (variant === 'metrics_and_traces_sampled_10pct') Object.assign(process.env, sampledTenPercent);
  return variant.includes('traces') ? createTracing({ endpoint: otlpEndpoint, protocol: 'http/protobuf', serviceName: 'pyexec-bench', role: 'bench', logger: silentLogger }) : null;
}

async function startVariant(config: Config, variant: Variant, otlpEndpoint: string): Promise<RunningVariant> {
  if (variant === 'none' || variant === 'none_again') {
    const service = await startService(config, { kernel: noopKernel, logger: silentLogger });
    return { service, settle: async () => undefined, stop: () => service.stop() };
  }
  const tracing = tracingFor(variant, otlpEndpoint);
  const observability = new Observability('bench', tracing, null);
  const transport = observability.transport(createMemoryTransport({ stateDir: null }), { supervisor: true });
  const generators = generatorCache(config, silentLogger);
  const service = await startService(config, {
    transport,
    logger: silentLogger,
    kernel: observability.kernel(noopKernel),
    analyzer: observability.analyzer(await createAnalyzer(config)),
    generators: async (name) => observability.generator(await generators(name)),
  });
  observability.hostedBy((id) => service.supervisor.hosts(id));
  return {
    service,
    settle: async () => tracing?.flush(),
    stop: async () => {
      await service.stop();
      await transport.close();
      await observability.stop();
    },
  };
}

/**
 * A round's rate is taken when its last execution has settled; its CPU time
 * after the spans it made are exported too (the batch would export them
 * later, during another round), without counting the wait for the
 * receiver's answer, which holds up no execution.
 */
async function measureRound({ service, settle }: RunningVariant, { executions, inFlight }: RoundRequest): Promise<Round> {
  let next = 0;
  const latenciesMs: number[] = [];
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const worker = async () => {
    while (next < executions) {
      next += 1;
      const submitted = performance.now();
      const summary = await (await service.client.submit({ task_objective: 'bench', behavior: 'success' })).settled;
      if (summary.outcome !== 'succeeded') throw new Error(`bench execution ended ${summary.outcome}`);
      latenciesMs.push(performance.now() - submitted);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsedMs = performance.now() - started;
  await settle();
  const cpu = process.cpuUsage(cpuBefore);
  return { perSecond: executions / (elapsedMs / 1000), cpuMsPerExecution: (cpu.user + cpu.system) / 1000 / executions, latenciesMs };
}

async function main(): Promise<void> {
  const [variant, otlpEndpoint, executionsRoot] = process.argv.slice(2) as [Variant, string, string];
  if (!variants.includes(variant) || !otlpEndpoint || !executionsRoot) throw new Error(`usage: observability-variant.ts ${variants.join('|')} OTLP_ENDPOINT EXECUTIONS_ROOT`);
  const running = await startVariant(parseConfig({ service: { executions_root: executionsRoot } }), variant, otlpEndpoint);
  process.on('message', (request: RoundRequest | 'stop') => {
    if (request === 'stop') void running.stop().then(() => process.disconnect());
    else void measureRound(running, request).then((round) => process.send?.(round));
  });
  process.send?.('ready');
}

// Run as the parent's child; imported by the parent for the variant names and the round's shape only.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
