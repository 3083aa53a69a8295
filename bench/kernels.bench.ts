/**
 * Local kernel latency, end to end through the Kernel interface (job in,
 * ExecuteResult out): cold (a new interpreter per execution) against warm
 * (forked from a preloaded server), for a trivial job and for one that
 * imports numpy and saves a matplotlib figure; `python3 -c pass` is the
 * floor, measured in the same run. Samples: BENCH_KERNEL_SAMPLES (>= 200).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecuteJob } from '../protocol/internal.ts';
import { configSchema } from '../config/schema.ts';
import type { Kernel } from '../adapters/kernels/kernel.ts';
import { createLocalKernel, localKernelOptions, resolvePython } from '../adapters/kernels/local/index.ts';
import { kernelContext } from '../adapters/kernels/registry.ts';
import { sample, summarize, type LatencySummary } from './stats.ts';
import { executeJob } from '../test/support/fixtures.ts';

const samples = Math.max(200, Number(process.env.BENCH_KERNEL_SAMPLES ?? 200));
const run$ = promisify(execFile);

const workloads = {
  trivial: 'results = {"x": 1}',
  numpy_figure: [
    'import numpy as np',
    'import matplotlib.pyplot as plt',
    'x = np.linspace(0, 10, 200)',
    'plt.plot(x, np.sin(x))',
    'results = {"mean": float(np.sin(x).mean())}',
  ].join('\n'),
};

function job(code: string, folder: string): ExecuteJob {
  return executeJob(code, folder, { command_id: 'bench:1', execution_id: 'bench-kernels' });
}

async function measure(kernel: Kernel, code: string, folder: string): Promise<LatencySummary> {
  const times = await sample(samples, async () => {
    const result = await kernel.execute(job(code, folder));
    if (result.status !== 'succeeded') throw new Error(`bench job failed: ${JSON.stringify(result.error)}`);
  });
  return summarize(times);
}

export async function run(): Promise<object> {
  const config = configSchema.parse({});
  const python = await resolvePython(config.execution.local.python_env_path);
  const folder = mkdtempSync(join(tmpdir(), 'pyexec-bench-kernels-'));
  const cold = createLocalKernel(localKernelOptions(config.execution.local, kernelContext(config, { warm: false })));
  const warm = createLocalKernel(localKernelOptions(config.execution.local, kernelContext(config, { warm: true })));
  try {
    const floor = summarize(await sample(samples, () => run$(python, ['-c', 'pass'])));
    const report: Record<string, Record<string, LatencySummary>> = {};
    for (const [name, code] of Object.entries(workloads)) {
      report[name] = {
        local_cold: await measure(cold, code, folder),
        local_warm: await measure(warm, code, folder),
      };
    }
    const p50 = (workload: string, kernel: string) => report[workload]?.[kernel]?.p50_ms ?? Number.NaN;
    const speedup = (workload: string) => p50(workload, 'local_cold') / p50(workload, 'local_warm');
    return {
      python,
      samples,
      floor_python_c_pass: floor,
      ...report,
      ratios: {
        trivial_cold_over_warm_p50: speedup('trivial'),
        numpy_figure_cold_over_warm_p50: speedup('numpy_figure'),
        trivial_warm_over_floor_p50: p50('trivial', 'local_warm') / floor.p50_ms,
      },
      goals: {
        warm_trivial_p50_under_15ms: p50('trivial', 'local_warm') < 15,
        warm_numpy_figure_at_least_5x_faster: speedup('numpy_figure') >= 5,
      },
    };
  } finally {
    await Promise.all([cold.close(), warm.close()]);
    rmSync(folder, { recursive: true, force: true });
  }
}
