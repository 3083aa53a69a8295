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
import { startService } from '../actors/service.ts';
import { silentLogger } from '../logging/logger.ts';
import { resolvePython } from '../adapters/kernels/local/index.ts';
import { noopKernel } from '../test/support/noop-kernel.ts';
import { runToSuccess, throughput } from './executions.ts';
import { sample, summarize } from './stats.ts';

const trivialCode = 'results = {"x": 1}\n';
/** Mock generator, real analyzer: the whole statechart. */
const mockRequest = { task_objective: 'bench', behavior: 'success' };

function benchConfig(root: string) {
  return parseConfig({ service: { executions_root: join(root, 'executions') }, execution: { local: { python_env_path: process.env.PYEXEC_BENCH_PYTHON ?? null } } });
}

async function orchestration(root: string) {
  const service = await startService(benchConfig(root), { kernel: noopKernel, logger: silentLogger });
  try {
    const latency = summarize(await sample(300, () => runToSuccess(service.client, mockRequest), 20));
    const { perSecond, cpuMsPerExecution } = await throughput(service.client, 500, 32, mockRequest);
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
    return summarize(await sample(count, () => runToSuccess(service.client, { task_objective: 'bench', approved_code: trivialCode }), 5));
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
