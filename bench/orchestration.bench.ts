/**
 * Issue 2's figures, on the embedded default (in-process bus and store):
 * - orchestration overhead: full statechart (mock generator, real analyzer,
 *   persistence, notebooks) with a no-op kernel, sequential latency and
 *   throughput with 32 executions in flight;
 * - end to end `results = {"x": 1}` as approved code through the local
 *   kernel, cold and warm, against a bare `python3 -c` of the same code.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/load.ts';
import { startService, type PyexecService } from '../actors/service.ts';
import { silentLogger } from '../logging/logger.ts';
import { resolvePython } from '../adapters/kernels/local/index.ts';
import { noopKernel } from './noop-kernel.ts';
import { sample, summarize } from './stats.ts';

interface Throughput {
  perSecond: number;
  cpuMsPerExecution: number;
}

const trivialCode = 'results = {"x": 1}\n';

function benchConfig(root: string) {
  return parseConfig({ service: { executions_root: join(root, 'executions') }, execution: { local: { python_env_path: process.env.PYEXEC_BENCH_PYTHON ?? null } } });
}

async function runOne(service: PyexecService, request: { task_objective: string; behavior?: string; approved_code?: string }): Promise<void> {
  const handle = await service.client.submit(request);
  const summary = await handle.settled;
  if (summary.outcome !== 'succeeded') throw new Error(`bench execution ended ${summary.outcome}: ${JSON.stringify(summary.error_chain)}`);
}

/**
 * Executions per second with `inFlight` at a time, and the CPU time of this
 * process per execution (every actor runs in it): steadier than the rate on
 * a machine shared with other work.
 */
async function throughput(service: PyexecService, total: number, inFlight: number): Promise<Throughput> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next += 1;
      await runOne(service, { task_objective: 'bench', behavior: 'success' });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    perSecond: Math.round((total / ((performance.now() - started) / 1000)) * 10) / 10,
    cpuMsPerExecution: Math.round(((cpu.user + cpu.system) / 1000 / total) * 100) / 100,
  };
}

async function orchestration(root: string) {
  const service = await startService(benchConfig(root), { kernel: noopKernel, logger: silentLogger });
  try {
    const latency = summarize(await sample(300, () => runOne(service, { task_objective: 'bench', behavior: 'success' }), 20));
    const { perSecond, cpuMsPerExecution } = await throughput(service, 500, 32);
    return {
      kernel: 'noop',
      path: 'generate → analyze → execute → done',
      sequential_latency: latency,
      executions_per_second_32_in_flight: perSecond,
      cpu_ms_per_execution_32_in_flight: cpuMsPerExecution,
    };
  } finally {
    await service.stop();
  }
}

async function localKernel(root: string, warm: boolean, count: number) {
  const service = await startService(benchConfig(root), { warmKernel: warm, logger: silentLogger });
  try {
    return summarize(await sample(count, () => runOne(service, { task_objective: 'bench', approved_code: trivialCode }), 5));
  } finally {
    await service.stop();
  }
}

export async function run() {
  const root = mkdtempSync(join(tmpdir(), 'pyexec-bench-'));
  try {
    const pythonPath = await resolvePython(benchConfig(root).execution.local.python_env_path);
    const floor = summarize(await sample(50, async () => execFileSync(pythonPath, ['-c', trivialCode]), 3));
    const cold = await localKernel(root, false, 50);
    const warm = await localKernel(root, true, 200);
    return {
      orchestration: await orchestration(root),
      end_to_end_trivial: {
        python: pythonPath,
        bare_python_c: floor,
        local_cold: cold,
        local_warm: warm,
        ratio_p50_cold_vs_bare: Math.round((cold.p50_ms / floor.p50_ms) * 100) / 100,
        ratio_p50_warm_vs_bare: Math.round((warm.p50_ms / floor.p50_ms) * 100) / 100,
      },
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
