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
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startService, type PyexecService, type ServiceOptions } from '../actors/service.ts';
import { createJupyterKernel } from '../adapters/kernels/jupyter/index.ts';
import { startJupyterServer } from '../adapters/kernels/jupyter/server.ts';
import { resolvePython } from '../adapters/kernels/local/index.ts';
import { silentLogger } from '../adapters/logger.ts';
import { configSchema, type Config } from '../config/schema.ts';
import { tempDir } from '../test/support/temp.ts';
import { noopKernel } from './noop-kernel.ts';
import { sample, summarize, type LatencySummary } from './stats.ts';

const warmSamples = Number(process.env.PYEXEC_BENCH_E2E_WARM ?? 200);
const coldSamples = Number(process.env.PYEXEC_BENCH_E2E_COLD ?? 20);
/** Untimed runs first: caches, JIT, matplotlib's first figure. */
const warmupRuns = 3;
const goalWarmTrivialP50Ms = 15;
const goalNumpyFigureSpeedup = 5;

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

export async function run(): Promise<object> {
  const root = tempDir('pyexec-bench-e2e-');
  const executionsRoot = join(root.path, 'executions');
  mkdirSync(executionsRoot);
  const server = await startJupyterServer({ modes: configSchema.parse({}).execution.modes, rootDir: executionsRoot });
  try {
    const config = configSchema.parse({
      service: { executions_root: executionsRoot },
      execution: { jupyter: { url: server.url, token: server.token } },
    });
    const python = await resolvePython(config.execution.local.python_env_path);
    const floor = summarize(await sample(coldSamples, async () => execFileSync(python, ['-c', 'pass']), warmupRuns));
    const noop = await onService(config, { kernel: noopKernel }, async (service) => summarize(await sample(warmSamples, () => runOne(service, workloads.trivial), warmupRuns)));
    const localCold = await local(config, false, coldSamples);
    const localWarm = await local(config, true, warmSamples);
    const jupyterCold = await jupyter(config, 0, coldSamples);
    const jupyterWarm = await jupyter(config, 1, warmSamples);
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
      goals: {
        local_warm_trivial_p50_under_15_ms: localWarm.trivial.p50_ms < goalWarmTrivialP50Ms,
        jupyter_warm_trivial_p50_under_15_ms: jupyterWarm.trivial.p50_ms < goalWarmTrivialP50Ms,
        local_numpy_figure_warm_5x_faster_than_cold: ratio(localCold.numpy_figure, localWarm.numpy_figure) >= goalNumpyFigureSpeedup,
        jupyter_numpy_figure_warm_5x_faster_than_cold: ratio(jupyterCold.numpy_figure, jupyterWarm.numpy_figure) >= goalNumpyFigureSpeedup,
      },
    };
  } finally {
    await server.stop();
    root.remove();
  }
}

async function local(config: Config, warm: boolean, count: number): Promise<Figures> {
  return onService(config, { warmKernel: warm }, (service) => eachWorkload((code) => sample(count, () => runOne(service, code), warmupRuns)));
}

async function jupyter(config: Config, poolSize: number, count: number): Promise<Figures> {
  const jupyterConfig = { ...config, execution: { ...config.execution, execution_method: 'jupyter' as const, jupyter: { ...config.execution.jupyter, pool_size: poolSize } } };
  const kernel = createJupyterKernel({ config: jupyterConfig, logger: silentLogger });
  try {
    return await onService(jupyterConfig, { kernel }, (service) =>
      eachWorkload(async (code) => {
        const samples: number[] = [];
        for (let i = 0; i < warmupRuns + count; i++) {
          await kernel.warmUp();
          const started = performance.now();
          await runOne(service, code);
          if (i >= warmupRuns) samples.push(performance.now() - started);
        }
        return samples;
      }),
    );
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

async function eachWorkload(measure: (code: string) => Promise<number[]>): Promise<Figures> {
  return {
    trivial: summarize(await measure(workloads.trivial)),
    numpy_figure: summarize(await measure(workloads.numpy_figure)),
  };
}

async function runOne(service: PyexecService, code: string): Promise<void> {
  const handle = await service.client.submit({ task_objective: 'bench', approved_code: code });
  const summary = await handle.settled;
  if (summary.outcome !== 'succeeded') throw new Error(`bench execution ended ${summary.outcome}: ${JSON.stringify(summary.error_chain)}`);
}

function ratio(cold: LatencySummary, warm: LatencySummary): number {
  return Math.round((cold.p50_ms / warm.p50_ms) * 10) / 10;
}

function ratios(cold: Figures, warm: Figures): Record<Workload, number> {
  return { trivial: ratio(cold.trivial, warm.trivial), numpy_figure: ratio(cold.numpy_figure, warm.numpy_figure) };
}
