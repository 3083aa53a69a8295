/**
 * What instrumentation costs: orchestration throughput on the embedded
 * default (no-op kernel, mock generator, real analyzer, 32 executions in
 * flight) uninstrumented, with metrics, and with metrics and OTLP traces
 * exported to a local receiver. Rounds alternate so drift on a shared
 * machine hits every variant alike; each variant's median round is reported
 * with its ratio to the uninstrumented median, and the latency of its
 * executions (submit to settled, every measured round) at p50 and p90.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatorCache, startService, type PyexecService } from '../actors/service.ts';
import { createAnalyzer } from '../adapters/analysis/index.ts';
import { silentLogger } from '../adapters/logger.ts';
import { createMemoryTransport } from '../bus/memory/transport.ts';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { Observability } from '../observability/index.ts';
import { createTracing } from '../observability/tracing.ts';
import { noopKernel } from './noop-kernel.ts';
import { percentile, summarize, type LatencySummary } from './stats.ts';

type Variant = 'none' | 'metrics' | 'metrics_and_traces';
const variants: readonly Variant[] = ['none', 'metrics', 'metrics_and_traces'];
const rounds = 5;
const perRound = 300;
const inFlight = 32;

async function startVariant(config: Config, variant: Variant, otlpEndpoint: string): Promise<{ service: PyexecService; stop: () => Promise<void> }> {
  if (variant === 'none') {
    const service = await startService(config, { kernel: noopKernel, logger: silentLogger });
    return { service, stop: () => service.stop() };
  }
  const tracing = variant === 'metrics_and_traces' ? createTracing(otlpEndpoint, 'pyexec-bench', 'bench') : null;
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
    stop: async () => {
      await service.stop();
      await transport.close();
      await observability.stop();
    },
  };
}

interface Round {
  perSecond: number;
  latenciesMs: number[];
}

async function measureRound(service: PyexecService): Promise<Round> {
  let next = 0;
  const latenciesMs: number[] = [];
  const started = performance.now();
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
  return { perSecond: perRound / ((performance.now() - started) / 1000), latenciesMs };
}

/** Accepts OTLP posts and throws them away: the exporter's cost is measured, not a collector's. */
async function sinkReceiver(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function run() {
  const root = mkdtempSync(join(tmpdir(), 'pyexec-bench-observability-'));
  const sink = await sinkReceiver();
  const config = parseConfig({ service: { executions_root: join(root, 'executions') } });
  const measured = new Map<Variant, number[]>(variants.map((variant) => [variant, []]));
  const latencies = new Map<Variant, number[]>(variants.map((variant) => [variant, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        const { service, stop } = await startVariant(config, variant, sink.endpoint);
        try {
          await measureRound(service); // warm-up round of this process state
          const round = await measureRound(service);
          measured.get(variant)?.push(round.perSecond);
          latencies.get(variant)?.push(...round.latenciesMs);
        } finally {
          await stop();
        }
      }
    }
  } finally {
    await sink.close();
    rmSync(root, { recursive: true, force: true });
  }
  const median = (variant: Variant) => percentile([...(measured.get(variant) ?? [])].sort((a, b) => a - b), 50);
  const baseline = median('none');
  const round1 = (value: number) => Math.round(value * 10) / 10;
  const latency = (variant: Variant): Pick<LatencySummary, 'n' | 'p50_ms' | 'p90_ms'> => {
    const { n, p50_ms, p90_ms } = summarize(latencies.get(variant) ?? []);
    return { n, p50_ms, p90_ms };
  };
  const baselineLatency = latency('none');
  return {
    what: `executions per second, ${inFlight} in flight, no-op kernel; median of ${rounds} alternating rounds of ${perRound}`,
    executions_per_second: Object.fromEntries(variants.map((variant) => [variant, round1(median(variant))])),
    throughput_ratio_vs_none: Object.fromEntries(variants.map((variant) => [variant, Math.round((median(variant) / baseline) * 1000) / 1000])),
    rounds: Object.fromEntries(variants.map((variant) => [variant, (measured.get(variant) ?? []).map(round1)])),
    execution_latency: Object.fromEntries(variants.map((variant) => [variant, latency(variant)])),
    latency_ratio_vs_none: Object.fromEntries(
      variants.map((variant) => {
        const { p50_ms, p90_ms } = latency(variant);
        const ratio = (value: number, base: number) => Math.round((value / base) * 1000) / 1000;
        return [variant, { p50: ratio(p50_ms, baselineLatency.p50_ms), p90: ratio(p90_ms, baselineLatency.p90_ms) }];
      }),
    ),
  };
}
