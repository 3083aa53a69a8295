/**
 * What instrumentation costs: orchestration throughput on the embedded
 * default (no-op kernel, mock generator, real analyzer, 32 executions in
 * flight) uninstrumented, with metrics, and with metrics and OTLP traces
 * exported to a receiver in another process (every execution traced, and
 * one in ten sampled as an operator would with OTEL_TRACES_SAMPLER).
 *
 * Each variant is a service in a process of its own
 * (observability-variant.ts), so one variant's garbage and JIT state never
 * land in another's rounds. A process also has luck of its own (what the
 * JIT compiled when, where its heap landed) that held through a whole run
 * and showed as a few percent between two identical services: every
 * variant's process is therefore replaced by a fresh one each generation of
 * sets, and the luck averages out. The variants take rounds in a new random order
 * each time, so drift on a shared machine hits every variant alike, and
 * only one runs at a time. A second uninstrumented service
 * (`none_again`) is measured like the others: its ratio to `none` is the
 * run's noise, the margin any other ratio must clear to mean something.
 *
 * Each variant reports its median and p90 round, the ratio of its median to
 * the uninstrumented one, the middle half of its round-by-round ratios to
 * the uninstrumented round of the same set (p25-p75), and the latency of
 * its executions (submit to settled) at p50 and p90; the report carries the
 * load average before and after.
 *
 * Throughput and latency follow whatever else the machine runs; the CPU
 * time a variant's process spends per execution (service, actors, memory
 * transport, no-op kernel, exporter) much less so: on a shared machine it
 * is the figure to judge the instrumentation by.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { variants, type Round, type RoundRequest, type Variant } from './observability-variant.ts';
import { percentile, summarize } from './stats.ts';

const generations = 4;
const setsPerGeneration = 8;
/** Rounds a fresh process runs unmeasured first, for the JIT to settle. */
const warmUpRounds = 2;
const rounds = generations * setsPerGeneration;
const round: RoundRequest = { executions: 300, inFlight: 32 };

/** A variant's process, answering one round at a time. */
class VariantProcess {
  /** Resolves with null when the process exits: whatever was awaited from it will not come. */
  private readonly exited: Promise<null>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = once(child, 'exit').then(() => null);
  }

  static async start(variant: Variant, otlpEndpoint: string, executionsRoot: string): Promise<VariantProcess> {
    const child = fork(join(import.meta.dirname, 'observability-variant.ts'), [variant, otlpEndpoint, executionsRoot], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const started = new VariantProcess(child);
    if ((await started.answer()) !== 'ready') throw new Error(`the ${variant} variant did not start`);
    return started;
  }

  async round(request: RoundRequest): Promise<Round> {
    this.child.send(request);
    const answer = (await this.answer()) as Round | null;
    if (!answer) throw new Error('a variant process exited during a round');
    return answer;
  }

  private async answer(): Promise<unknown> {
    return Promise.race([once(this.child, 'message').then(([message]) => message as unknown), this.exited]);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.send('stop');
    await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    this.child.kill('SIGKILL');
  }
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
  const measured = new Map<Variant, Round[]>(variants.map((variant) => [variant, []]));
  const loadBefore = loadavg();
  try {
    for (let generation = 0; generation < generations; generation++) await measureGeneration(join(root, String(generation)), sink.endpoint, measured);
  } finally {
    await sink.close();
    rmSync(root, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  const roundsOf = (variant: Variant) => measured.get(variant) ?? [];
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const median = (variant: Variant, pick: (round: Round) => number) => percentile(sorted(roundsOf(variant).map(pick)), 50);
  const spread = (variant: Variant, pick: (round: Round) => number) => ({ p50: round3(median(variant, pick)), p90: round3(percentile(sorted(roundsOf(variant).map(pick)), 90)) });
  /** The variant's round against the uninstrumented round of the same set, over the sets: p25 and p75. */
  const pairedRatios = (variant: Variant, pick: (round: Round) => number) => {
    const none = roundsOf('none');
    const ratios = sorted(roundsOf(variant).map((measuredRound, set) => pick(measuredRound) / pick(none[set] as Round)));
    return { p25: round3(percentile(ratios, 25)), p75: round3(percentile(ratios, 75)) };
  };
  const latency = (variant: Variant) => summarize(roundsOf(variant).flatMap((measuredRound) => measuredRound.latenciesMs));
  const perSecond = (measuredRound: Round) => measuredRound.perSecond;
  const cpu = (measuredRound: Round) => measuredRound.cpuMsPerExecution;
  const row = (variant: Variant) => ({
    throughput_vs_none: round3(median(variant, perSecond) / median('none', perSecond)),
    cpu_per_execution_vs_none: round3(median(variant, cpu) / median('none', cpu)),
    round_by_round_vs_none: { throughput: pairedRatios(variant, perSecond), cpu_per_execution: pairedRatios(variant, cpu) },
    executions_per_second: spread(variant, perSecond),
    cpu_ms_per_execution: spread(variant, cpu),
    latency_ms: { p50: latency(variant).p50_ms, p90: latency(variant).p90_ms },
    latency_p50_vs_none: round3(latency(variant).p50_ms / latency('none').p50_ms),
  });
  return {
    what: `${rounds} sets of one round per variant in random order (${generations} generations of fresh processes, ${setsPerGeneration} sets each), ${round.executions} executions per round, ${round.inFlight} in flight, no-op kernel, each variant a service in a process of its own; medians (p50) and p90 over rounds, ratios of medians`,
    load_average_1_5_15: { before: loadBefore.map(round2), after: loadAfter.map(round2) },
    variants: Object.fromEntries(variants.map((variant) => [variant, row(variant)])),
  };
}

/** Fresh processes for every variant: warmed up unmeasured, then `setsPerGeneration` sets, then stopped. */
async function measureGeneration(root: string, otlpEndpoint: string, measured: ReadonlyMap<Variant, Round[]>): Promise<void> {
  const running = new Map<Variant, VariantProcess>();
  try {
    // Started and warmed in a new order each generation too: no variant is always the newest process.
    for (const variant of shuffled(variants)) running.set(variant, await VariantProcess.start(variant, otlpEndpoint, join(root, variant)));
    for (let warmUp = 0; warmUp < warmUpRounds; warmUp++) for (const variant of shuffled(variants)) await runningOf(running, variant).round(round);
    for (let set = 0; set < setsPerGeneration; set++) {
      for (const variant of shuffled(variants)) measured.get(variant)?.push(await runningOf(running, variant).round(round));
    }
  } finally {
    for (const variant of running.values()) await variant.stop();
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function runningOf(running: ReadonlyMap<Variant, VariantProcess>, variant: Variant): VariantProcess {
  const found = running.get(variant);
  if (!found) throw new Error(`variant ${variant} is not running`);
  return found;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;
const round2 = (value: number) => Math.round(value * 100) / 100;
