/**
 * Kernel-level latency of the Jupyter executor (Kernel.execute, no bus):
 *
 * - jupyter-warm: a kernel from the pool (the pool is let refill, untimed,
 *   before each sample: this is the latency when a warm kernel waits);
 * - jupyter-cold: pool_size 0, a new kernel per execution (fewer samples:
 *   each costs a kernel start with numpy, matplotlib and pandas preloaded);
 * - raw execute_request round trips on one kernel, with and without
 *   TCP_NODELAY on the server's kernel websocket (Nagle's ~40 ms);
 * - `/usr/bin/python3 -c pass` as the floor of any new interpreter.
 *
 * PYEXEC_BENCH_JUPYTER_WARM / _COLD override the sample counts (default 200 / 20).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../config/schema.ts';
import type { ExecuteJob } from '../protocol/internal.ts';
import { createJupyterKernel } from '../adapters/kernels/jupyter/index.ts';
import { kernelContext } from '../adapters/kernels/registry.ts';
import { discardLiveKernel, serverSettings, startLiveKernel } from '../adapters/kernels/jupyter/live-kernel.ts';
import { startJupyterServer, type RunningJupyterServer } from '../adapters/kernels/jupyter/server.ts';
import { tempDir } from '../test/support/temp.ts';
import { sample, summarize, type LatencySummary } from './stats.ts';
import { executeJob } from '../test/support/fixtures.ts';

const warmSamples = Number(process.env.PYEXEC_BENCH_JUPYTER_WARM ?? 200);
const coldSamples = Number(process.env.PYEXEC_BENCH_JUPYTER_COLD ?? 20);
const trivial = 'results = {"x": 1}';
const numpyFigure = [
  'import numpy as np',
  'import matplotlib.pyplot as plt',
  'x = np.linspace(0, 1, 100)',
  'plt.plot(x, np.sin(x))',
  'results = {"mean": float(np.sin(x).mean())}',
].join('\n');
const modes = configSchema.parse({}).execution.modes;

export async function run(): Promise<object> {
  const root = tempDir('pyexec-bench-jupyter-');
  try {
    const floor = summarize(await sample(coldSamples, async () => execFileSync('/usr/bin/python3', ['-c', 'pass'])));
    const withNodelay = await measureServer(root.path, true, true);
    const withoutNodelay = await measureServer(root.path, false, false);
    const ratio = (a: LatencySummary, b: LatencySummary) => Math.round((a.p50_ms / b.p50_ms) * 10) / 10;
    return {
      samples: { warm: warmSamples, cold: coldSamples },
      python_c_pass_floor: floor,
      nodelay: withNodelay,
      no_nodelay: withoutNodelay,
      ratios_p50: {
        raw_execute_no_nodelay_over_nodelay: ratio(withoutNodelay.raw_execute, withNodelay.raw_execute),
        warm_trivial_no_nodelay_over_nodelay: ratio(withoutNodelay.warm_trivial, withNodelay.warm_trivial),
        cold_over_warm_trivial: withNodelay.cold_trivial ? ratio(withNodelay.cold_trivial, withNodelay.warm_trivial) : null,
        cold_over_warm_numpy_figure:
          withNodelay.cold_numpy_figure && withNodelay.warm_numpy_figure
            ? ratio(withNodelay.cold_numpy_figure, withNodelay.warm_numpy_figure)
            : null,
      },
    };
  } finally {
    root.remove();
  }
}

interface ServerFigures {
  raw_execute: LatencySummary;
  warm_trivial: LatencySummary;
  warm_numpy_figure?: LatencySummary;
  cold_trivial?: LatencySummary;
  cold_numpy_figure?: LatencySummary;
}

async function measureServer(rootDir: string, nodelay: boolean, full: boolean): Promise<ServerFigures> {
  const server = await startJupyterServer({ modes, rootDir, nodelay });
  try {
    const figures: ServerFigures = {
      raw_execute: await rawExecute(server),
      warm_trivial: await executorLatency(server, rootDir, 1, trivial, warmSamples),
    };
    if (full) {
      figures.warm_numpy_figure = await executorLatency(server, rootDir, 1, numpyFigure, warmSamples);
      figures.cold_trivial = await executorLatency(server, rootDir, 0, trivial, coldSamples);
      figures.cold_numpy_figure = await executorLatency(server, rootDir, 0, numpyFigure, coldSamples);
    }
    return figures;
  } finally {
    await server.stop();
  }
}

/** execute_request round trips on one kernel: the transport alone. */
async function rawExecute(server: RunningJupyterServer): Promise<LatencySummary> {
  const settings = serverSettings(server.url, server.token);
  const kernel = await startLiveKernel(settings, modes.read_only?.kernel_name ?? 'python3', 60_000);
  try {
    return summarize(
      await sample(warmSamples, () => kernel.connection.requestExecute({ code: trivial, store_history: false }).done),
    );
  } finally {
    await discardLiveKernel(settings, kernel);
  }
}

async function executorLatency(
  server: RunningJupyterServer,
  rootDir: string,
  poolSize: number,
  code: string,
  count: number,
): Promise<LatencySummary> {
  const config = configSchema.parse({ execution: { modes, jupyter: { url: server.url, token: server.token, pool_size: poolSize } } });
  const kernel = createJupyterKernel(config.execution.jupyter, kernelContext(config));
  const samples: number[] = [];
  try {
    for (let i = 0; i < count + 1; i++) {
      await kernel.warmUp();
      const job = benchJob(code, rootDir);
      const started = performance.now();
      const result = await kernel.execute(job);
      const elapsed = performance.now() - started;
      if (result.status !== 'succeeded') throw new Error(`bench execution failed: ${JSON.stringify(result.error)}`);
      if (i > 0) samples.push(elapsed); // the first one warms caches (matplotlib fonts)
    }
  } finally {
    await kernel.close();
  }
  return summarize(samples);
}

function benchJob(code: string, rootDir: string): ExecuteJob {
  const id = randomUUID();
  const folder = join(rootDir, id);
  mkdirSync(folder);
  return executeJob(code, folder, { execution_id: id });
}
