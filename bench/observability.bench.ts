/**
 * What instrumentation costs: orchestration throughput on the embedded
 * default (no-op kernel, mock generator, real analyzer, 32 executions in
 * flight) uninstrumented, with metrics, and with metrics and OTLP traces
 * exported to a receiver in another process (every execution traced, and
 * one in ten sampled as an operator would with OTEL_TRACES_SAMPLER). The
 * variants run side by side in one process and take short rounds in a
 * new random order each time, so drift on a shared machine hits every
 * variant alike. A second uninstrumented service (`none_again`) is
 * measured like the others: its ratio to `none` is the run's noise, the
 * margin any other ratio must clear to mean something.
 * Each variant reports its median and p90 round, the ratio of its median to
 * the uninstrumented one, and the latency of its executions (submit to
 * settled) at p50 and p90; the report carries the load average before and
 * after.
 *
 * A round's rate is taken when its last execution has settled; its CPU
 * time after the spans it made are exported too (the batch would export
 * them later, during another variant's round), without counting the wait
 * for the receiver's answer, which holds up no execution.
 *
 * Throughput and latency follow whatever else the machine runs; the CPU
 * time this process spends per execution (everything but the OTLP sink runs
 * in it: service, actors, memory transport, no-op kernel, exporter) much
 * less so: on a shared machine it is the figure to judge the
 * instrumentation by.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatorCache, startService, type PyexecService } from '../actors/service.ts';
import { createAnalyzer } from '../adapters/analysis/index.ts';
import { silentLogger } from '../logging/logger.ts';
import { createMemoryTransport } from '../bus/memory/transport.ts';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { Observability } from '../observability/index.ts';
import { createTracing } from '../observability/tracing.ts';
import { noopKernel } from '../test/support/noop-kernel.ts';
import { percentile, summarize } from './stats.ts';

type Variant = 'none' | 'none_again' | 'metrics' | 'metrics_and_traces' | 'metrics_and_traces_sampled_10pct';
const variants: readonly Variant[] = ['none', 'none_again', 'metrics', 'metrics_and_traces', 'metrics_and_traces_sampled_10pct'];
/** How an operator samples (docs/operations.md): the OpenTelemetry SDK reads these when the tracer provider is made. */
const sampledTenPercent = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };

function tracingFor(variant: Variant, otlpEndpoint: string) {
  if (variant === 'metrics_and_traces') return createTracing(otlpEndpoint, 'pyexec-bench', 'bench');
  if (variant !== 'metrics_and_traces_sampled_10pct') return null;
  Object.assign(process.env, sampledTenPercent);
  try {
    return createTracing(otlpEndpoint, 'pyexec-bench', 'bench');
  } finally {
    for (const name of Object.keys(sampledTenPercent)) delete process.env[name];
  }
}
const rounds = 16;
const perRound = 150;
const inFlight = 32;

interface RunningVariant {
  service: PyexecService;
  /** Work the variant leaves for later (a batch of spans to export), done now so its round is charged. */
  settle: () => Promise<void>;
  stop: () => Promise<void>;
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

interface Round {
  perSecond: number;
  cpuMsPerExecution: number;
  latenciesMs: number[];
}

async function measureRound({ service, settle }: RunningVariant): Promise<Round> {
  let next = 0;
  const latenciesMs: number[] = [];
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const worker = async () => {
    while (next < perRound) {
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
  return { perSecond: perRound / (elapsedMs / 1000), cpuMsPerExecution: (cpu.user + cpu.system) / 1000 / perRound, latenciesMs };
}

/** Drains OTLP posts and answers `{}`; prints its port. */
const sinkProgram = `
const server = require('node:http').createServer((request, response) => {
  request.resume();
  request.on('end', () => response.end('{}'));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

/**
 * Accepts OTLP posts and throws them away, in a process of its own as a
 * collector would be: the exporter's cost is measured (CPU time of this
 * process included), not a collector's.
 */
async function sinkReceiver(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', sinkProgram], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout as Readable }), 'line')) as [string];
  return {
    endpoint: `http://127.0.0.1:${Number(line)}/v1/traces`,
    close: async () => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function run() {
  const root = mkdtempSync(join(tmpdir(), 'pyexec-bench-observability-'));
  const sink = await sinkReceiver();
  const config = parseConfig({ service: { executions_root: join(root, 'executions') } });
  const measured = new Map<Variant, Round[]>(variants.map((variant) => [variant, []]));
  const running = new Map<Variant, RunningVariant>();
  const loadBefore = loadavg();
  try {
    for (const variant of variants) running.set(variant, await startVariant(config, variant, sink.endpoint));
    for (const variant of variants) await measureRound(runningOf(running, variant)); // warm-up
    for (let round = 0; round < rounds; round++) {
      // Short rounds in a new order each time: load from elsewhere on the machine falls on every variant
      // alike, and so does the garbage one variant leaves for the collector to find in the next one's round
      // (a fixed rotation always put the sampled variant after the fully traced one).
      for (const variant of shuffled(variants)) measured.get(variant)?.push(await measureRound(runningOf(running, variant)));
    }
  } finally {
    for (const variant of running.values()) await variant.stop();
    await sink.close();
    rmSync(root, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  const sorted = (variant: Variant, pick: (round: Round) => number) => (measured.get(variant) ?? []).map(pick).sort((a, b) => a - b);
  const median = (variant: Variant, pick: (round: Round) => number) => percentile(sorted(variant, pick), 50);
  const spread = (variant: Variant, pick: (round: Round) => number) => ({ p50: round3(median(variant, pick)), p90: round3(percentile(sorted(variant, pick), 90)) });
  const latency = (variant: Variant) => summarize((measured.get(variant) ?? []).flatMap((round) => round.latenciesMs));
  const perSecond = (round: Round) => round.perSecond;
  const cpu = (round: Round) => round.cpuMsPerExecution;
  const row = (variant: Variant) => ({
    throughput_vs_none: round3(median(variant, perSecond) / median('none', perSecond)),
    cpu_per_execution_vs_none: round3(median(variant, cpu) / median('none', cpu)),
    executions_per_second: spread(variant, perSecond),
    cpu_ms_per_execution: spread(variant, cpu),
    latency_ms: { p50: latency(variant).p50_ms, p90: latency(variant).p90_ms },
    latency_p50_vs_none: round3(latency(variant).p50_ms / latency('none').p50_ms),
  });
  return {
    what: `${rounds} rounds in random order of ${perRound} executions per variant, ${inFlight} in flight, no-op kernel, services started once; medians (p50) and p90 over rounds, ratios of medians`,
    load_average_1_5_15: { before: loadBefore.map(round2), after: loadAfter.map(round2) },
    variants: Object.fromEntries(variants.map((variant) => [variant, row(variant)])),
  };
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function runningOf(running: ReadonlyMap<Variant, RunningVariant>, variant: Variant): RunningVariant {
  const found = running.get(variant);
  if (!found) throw new Error(`variant ${variant} is not running`);
  return found;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;
const round2 = (value: number) => Math.round(value * 100) / 100;
