/**
 * Issue 5's figures, in one run: end-to-end latency from request to result
 * on the in-process bus (startService, client.submit({ task_objective,
 * approved_code }), handle.settled: analysis, persistence and notebooks
 * included) for each kernel, on two workloads: the trivial
 * `results = {"x": 1}` and `import numpy as np` + a matplotlib figure.
 *
 * - local-cold: a new interpreter per execution;
 * - local-warm: forked from the preloaded fork server, back to back;
 * - jupyter-cold: `pool_size: 0`, a fresh kernel started for each execution
 *   (its start, with numpy, matplotlib and pandas preloaded, is in the time);
 * - jupyter-warm: `pool_size: 1`; before each (untimed) the pool is let refill
 *   and the retired kernel shut down, so this is the latency when a warm
 *   kernel waits (sustained throughput is bounded by kernel starts: docs/jupyter.md);
 * - noop: the same path with a kernel that runs nothing (orchestration alone);
 * - floor: `python3 -c pass` with the interpreter the kernels use.
 *
 * Samples: PYEXEC_BENCH_E2E_WARM (default 200) for warm kernels and noop,
 * PYEXEC_BENCH_E2E_COLD (default 20) for cold ones and the floor.
 *
 * PYEXEC_BENCH_E2E_ONLY=<kernel>:<workload> (e.g. `jupyter-warm:trivial`)
 * measures that one case and its in-run baselines (noop and local-warm on the
 * same workload) instead of the whole table, which takes ~12 minutes.
 *
 * Every case runs in the OS sandbox (execution.isolation: sandbox, the
 * default). The `sandbox` section (alone: PYEXEC_BENCH_E2E_ONLY=sandbox)
 * measures the trivial workload on local-warm and jupyter-warm with and
 * without the sandbox in the same run, against issue 11's goals; local-warm
 * with and without it in turn, one execution each (the same load for both).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startService, type PyexecService, type ServiceOptions } from '../actors/service.ts';
import { createJupyterKernel } from '../adapters/kernels/jupyter/index.ts';
import { kernelContext } from '../adapters/kernels/registry.ts';
import { startJupyterServer } from '../adapters/kernels/jupyter/server.ts';
import { resolvePython } from '../adapters/kernels/local/index.ts';
import { silentLogger } from '../logging/logger.ts';
import { configSchema, type Config } from '../config/schema.ts';
import { tempDir } from '../test/support/temp.ts';
import { noopKernel } from '../test/support/noop-kernel.ts';
import { runToSuccess } from './executions.ts';
import { sample, summarize, type LatencySummary } from './stats.ts';

const warmSamples = Number(process.env.PYEXEC_BENCH_E2E_WARM ?? 200);
const coldSamples = Number(process.env.PYEXEC_BENCH_E2E_COLD ?? 20);
/** Untimed runs first: caches, JIT, matplotlib's first figure. */
const warmupRuns = 3;
const goalWarmTrivialP50Ms = 15;
const goalNumpyFigureSpeedup = 5;
/** Issue 11: sandboxed local-warm trivial p50 at most this, and at most `goalSandboxOverhead` times unsandboxed. */
const goalSandboxedLocalWarmP50Ms = 10;
const goalSandboxOverhead = 1.3;
const goalSandboxedJupyterWarmP50Ms = 12;

const workloads = {
  trivial: 'results = {"x": 1}\n',
  numpy_figure: [
    'import numpy as np',
    'import matplotlib.pyplot as plt',
    'x = np.linspace(0, 1, 100)',
    'plt.plot(x, np.sin(x))',
    'results = {"mean": float(np.sin(x).mean())}',
    '',
  ].join('\n'),
};
type Workload = keyof typeof workloads;
type Figures = Record<Workload, LatencySummary>;
const kernelKinds = ['local-cold', 'local-warm', 'jupyter-cold', 'jupyter-warm'] as const;
type KernelKind = (typeof kernelKinds)[number];

export async function run(): Promise<object> {
  const only = process.env.PYEXEC_BENCH_E2E_ONLY;
  if (only === 'sandbox') return onJupyterServer(sandboxFigures);
  const selected = only === undefined ? null : parseCase(only);
  return onJupyterServer((config) => (selected === null ? runAll(config) : runOne(config, selected)));
}

/** The Jupyter server's kernelspecs start kernels in the sandbox, or (`none`) without it: the config says the same. */
async function onJupyterServer<T>(measure: (config: Config) => Promise<T>, isolation: 'sandbox' | 'none' = 'sandbox'): Promise<T> {
  const root = tempDir('pyexec-bench-e2e-');
  const executionsRoot = join(root.path, 'executions');
  mkdirSync(executionsRoot);
  const server = await startJupyterServer({ modes: configSchema.parse({}).execution.modes, rootDir: executionsRoot, isolation });
  try {
    return await measure(
      configSchema.parse({
        service: { executions_root: executionsRoot },
        execution: { isolation, jupyter: { url: server.url, token: server.token } },
      }),
    );
  } finally {
    await server.stop();
    root.remove();
  }
}

async function runAll(config: Config): Promise<object> {
  const python = await resolvePython(config.execution.local.python_env_path);
  const floor = summarize(await sample(coldSamples, async () => execFileSync(python, ['-c', 'pass']), warmupRuns));
  const noop = await noopTrivial(config);
  const localCold = await figuresOf(config, 'local-cold');
  const localWarm = await figuresOf(config, 'local-warm');
  const jupyterCold = await figuresOf(config, 'jupyter-cold');
  const jupyterWarm = await figuresOf(config, 'jupyter-warm');
  return {
    samples: { warm: warmSamples, cold: coldSamples, floor: coldSamples, noop: warmSamples },
    python,
    jupyter_cold_means: 'pool_size 0: a fresh kernel started for each execution, its start included',
    jupyter_warm_means: 'pool_size 1: a warm kernel waits (the pool refilled, untimed, before each execution)',
    floor_python_c_pass: floor,
    noop_kernel_trivial: noop,
    local_cold: localCold,
    local_warm: localWarm,
    jupyter_cold: jupyterCold,
    jupyter_warm: jupyterWarm,
    ratios_p50_cold_over_warm: {
      local: ratios(localCold, localWarm),
      jupyter: ratios(jupyterCold, jupyterWarm),
    },
    sandbox: await sandboxFigures(config),
    goals: {
      local_warm_trivial_p50_under_15_ms: localWarm.trivial.p50_ms < goalWarmTrivialP50Ms,
      jupyter_warm_trivial_p50_under_15_ms: jupyterWarm.trivial.p50_ms < goalWarmTrivialP50Ms,
      local_numpy_figure_warm_5x_faster_than_cold: ratio(localCold.numpy_figure, localWarm.numpy_figure) >= goalNumpyFigureSpeedup,
      jupyter_numpy_figure_warm_5x_faster_than_cold: ratio(jupyterCold.numpy_figure, jupyterWarm.numpy_figure) >= goalNumpyFigureSpeedup,
    },
  };
}

/** Trivial executions, warm kernels, with and without the sandbox (same run, same machine load). */
async function sandboxFigures(config: Config): Promise<object> {
  const isolated = (isolation: 'sandbox' | 'none'): Config => ({ ...config, execution: { ...config.execution, isolation } });
  // Orchestration alone, in the same run: on a loaded machine the absolute figures mean little without it.
  const noop = await noopTrivial(config);
  const { none: localNone, sandbox: localSandbox } = await localWarmInTurn(isolated, workloads.trivial);
  // Unsandboxed Jupyter needs a server whose kernelspecs start kernels without the sandbox.
  const jupyter = async (isolation: 'sandbox' | 'none') =>
    (isolation === 'sandbox' ? measureKernel(config, 'jupyter-warm', 'trivial') : onJupyterServer((plain) => measureKernel(plain, 'jupyter-warm', 'trivial'), 'none')).catch(
      (error: unknown) => ({ failed: String(error) }),
    );
  const jupyterNone = await jupyter('none');
  const jupyterSandbox = await jupyter('sandbox');
  const p50 = (figure: LatencySummary | { failed: string }) => ('p50_ms' in figure ? figure.p50_ms : Number.NaN);
  return {
    noop_kernel_trivial: noop,
    local_warm_trivial: { none: localNone, sandbox: localSandbox, p50_sandbox_over_none: Math.round((localSandbox.p50_ms / localNone.p50_ms) * 100) / 100 },
    jupyter_warm_trivial: { none: jupyterNone, sandbox: jupyterSandbox },
    goals: {
      local_warm_sandboxed_p50_at_most_10_ms: localSandbox.p50_ms <= goalSandboxedLocalWarmP50Ms,
      local_warm_sandboxed_p50_at_most_1_3x_unsandboxed: localSandbox.p50_ms <= goalSandboxOverhead * localNone.p50_ms,
      jupyter_warm_sandboxed_p50_at_most_12_ms: p50(jupyterSandbox) <= goalSandboxedJupyterWarmP50Ms,
    },
  };
}

/**
 * Warm local kernels without and with the sandbox, one execution of each in
 * turn: on a machine whose load moves (two cores shared by several people),
 * figures taken one configuration after the other compare different loads.
 */
async function localWarmInTurn(isolated: (isolation: 'sandbox' | 'none') => Config, code: string): Promise<Record<'none' | 'sandbox', LatencySummary>> {
  const none = await startService(isolated('none'), { logger: silentLogger, warmKernel: true });
  try {
    const sandbox = await startService(isolated('sandbox'), { logger: silentLogger, warmKernel: true });
    try {
      const samples = { none: [] as number[], sandbox: [] as number[] };
      for (let round = 0; round < warmupRuns + warmSamples; round++) {
        for (const [name, service] of [['none', none], ['sandbox', sandbox]] as const) {
          const started = performance.now();
          await runCode(service, code);
          if (round >= warmupRuns) samples[name].push(performance.now() - started);
        }
      }
      return { none: summarize(samples.none), sandbox: summarize(samples.sandbox) };
    } finally {
      await sandbox.stop();
    }
  } finally {
    await none.stop();
  }
}

interface Case {
  kind: KernelKind;
  workload: Workload;
}

/** One case and its baselines, measured in the same run: the no-op kernel (orchestration alone) and local-warm. */
async function runOne(config: Config, selected: Case): Promise<object> {
  const noop = await noopTrivial(config);
  const baseline = await measureKernel(config, 'local-warm', selected.workload);
  const figure = selected.kind === 'local-warm' ? baseline : await measureKernel(config, selected.kind, selected.workload);
  return {
    only: `${selected.kind}:${selected.workload}`,
    samples: { warm: warmSamples, cold: coldSamples, noop: warmSamples },
    noop_kernel_trivial: noop,
    baseline_local_warm: baseline,
    [selected.kind.replace('-', '_')]: figure,
    p50_over_noop_ms: Math.round((figure.p50_ms - noop.p50_ms) * 1000) / 1000,
    ...(selected.workload === 'trivial' && selected.kind.endsWith('-warm') ? { goal_trivial_p50_under_15_ms: figure.p50_ms < goalWarmTrivialP50Ms } : {}),
  };
}

function parseCase(text: string): Case {
  const [kind, workload = 'trivial'] = text.split(':');
  if (!isKernelKind(kind) || !isWorkload(workload)) {
    throw new Error(`PYEXEC_BENCH_E2E_ONLY=${text}: expected <${kernelKinds.join('|')}>:<${Object.keys(workloads).join('|')}>`);
  }
  return { kind, workload };
}

const isKernelKind = (text: string | undefined): text is KernelKind => kernelKinds.some((known) => known === text);
const isWorkload = (text: string): text is Workload => Object.hasOwn(workloads, text);

async function noopTrivial(config: Config): Promise<LatencySummary> {
  return onService(config, { kernel: noopKernel }, async (service) => summarize(await sample(warmSamples, () => runCode(service, workloads.trivial), warmupRuns)));
}

async function figuresOf(config: Config, kind: KernelKind): Promise<Figures> {
  return { trivial: await measureKernel(config, kind, 'trivial'), numpy_figure: await measureKernel(config, kind, 'numpy_figure') };
}

function measureKernel(config: Config, kind: KernelKind, workload: Workload): Promise<LatencySummary> {
  const code = workloads[workload];
  switch (kind) {
    case 'local-cold':
      return local(config, false, coldSamples, code);
    case 'local-warm':
      return local(config, true, warmSamples, code);
    case 'jupyter-cold':
      return jupyter(config, 0, coldSamples, code);
    case 'jupyter-warm':
      return jupyter(config, 1, warmSamples, code);
  }
}

async function local(config: Config, warm: boolean, count: number, code: string): Promise<LatencySummary> {
  return onService(config, { warmKernel: warm }, async (service) => summarize(await sample(count, () => runCode(service, code), warmupRuns)));
}

async function jupyter(config: Config, poolSize: number, count: number, code: string): Promise<LatencySummary> {
  const jupyterConfig = { ...config, execution: { ...config.execution, execution_method: 'jupyter' as const, jupyter: { ...config.execution.jupyter, pool_size: poolSize } } };
  const kernel = createJupyterKernel(jupyterConfig.execution.jupyter, kernelContext(jupyterConfig, { logger: silentLogger }));
  try {
    return await onService(jupyterConfig, { kernel }, async (service) => {
      const samples: number[] = [];
      for (let i = 0; i < warmupRuns + count; i++) {
        await kernel.warmUp();
        const started = performance.now();
        await runCode(service, code);
        if (i >= warmupRuns) samples.push(performance.now() - started);
      }
      return summarize(samples);
    });
  } finally {
    await kernel.close();
  }
}

async function onService<T>(config: Config, options: ServiceOptions, measure: (service: PyexecService) => Promise<T>): Promise<T> {
  const service = await startService(config, { logger: silentLogger, ...options });
  try {
    return await measure(service);
  } finally {
    await service.stop();
  }
}

function runCode(service: PyexecService, code: string): Promise<void> {
  return runToSuccess(service.client, { task_objective: 'bench', approved_code: code });
}

function ratio(cold: LatencySummary, warm: LatencySummary): number {
  return Math.round((cold.p50_ms / warm.p50_ms) * 10) / 10;
}

function ratios(cold: Figures, warm: Figures): Record<Workload, number> {
  return { trivial: ratio(cold.trivial, warm.trivial), numpy_figure: ratio(cold.numpy_figure, warm.numpy_figure) };
}
