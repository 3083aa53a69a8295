/**
 * Issue 4's figures, distributed mode on a real nats-server (started here
 * on a free port, JetStream on, file storage):
 * - the full statechart (mock generator, real analyzer, KV persistence with
 *   compare-and-set on every transition, notebooks) with a no-op kernel:
 *   sequential latency and throughput with 32 executions in flight, on NATS
 *   (the service's connection opened as `pyexec serve --nats` opens it:
 *   event and audit streams kept, audit records acknowledged) against the
 *   in-process bus in the same run;
 * - sleep-bound jobs (`time.sleep(0.05)`, approved code) through 1, 2 and 4
 *   `pyexec executor` processes of one job at a time each: throughput.
 * Goals: >= 300 executions/s on NATS; throughput growing with executors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startService, type PyexecService } from '../actors/service.ts';
import { PyexecClient } from '../client/client.ts';
import { createMemoryTransport } from '../bus/memory/transport.ts';
import { createNatsTransport } from '../bus/nats/transport.ts';
import { keepEventsMs } from '../bin/connection.ts';
import type { Transport } from '../bus/transport.ts';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { silentLogger } from '../logging/logger.ts';
import { NatsServer } from '../test/support/nats-server.ts';
import { noopKernel } from '../test/support/noop-kernel.ts';
import { runToSuccess, throughput } from './executions.ts';
import { sample, summarize } from './stats.ts';

const cli = fileURLToPath(new URL('../bin/pyexec.js', import.meta.url));
const python = process.env.PYEXEC_BENCH_PYTHON ?? '/usr/bin/python3';
const sleepCode = 'import time\ntime.sleep(0.05)\nresults = {"slept": 0.05}\n';
const executorCounts = [1, 2, 4];
const noopExecutorSlots = 8;
const sleepJobs = Number(process.env.BENCH_NATS_SLEEP_JOBS ?? 80);

function benchConfig(root: string): Config {
  return parseConfig({
    service: { executions_root: join(root, 'executions'), log_level: 'silent' },
    execution: { local: { python_env_path: python } },
  });
}

/** The whole statechart with a no-op kernel; the client has its own connection, as a caller would. */
async function statechart(config: Config, serviceTransport: Transport, clientTransport: Transport) {
  // Eight executor slots: with a kernel that runs nothing, each slot's job is
  // round trips only (fetch, stored-result lookup, result, ack), and the
  // embedded default's two slots (sized for real Python on two cores) would
  // measure the executor's latency rather than the statechart. Deployments
  // scale executors out as processes; the same eight serve both transports.
  const service: PyexecService = await startService(config, {
    transport: serviceTransport,
    kernel: noopKernel,
    logger: silentLogger,
    supervisorId: 'bench',
    executorConcurrency: noopExecutorSlots,
  });
  const client = new PyexecClient(clientTransport, 'bench');
  const request = { task_objective: 'bench', behavior: 'success' };
  try {
    const latency = summarize(await sample(300, () => runToSuccess(client, request), 20));
    const { perSecond, cpuMsPerExecution } = await throughput(client, 1_000, 32, request);
    return {
      sequential_latency: latency,
      executions_per_second_32_in_flight: perSecond,
      cpu_ms_per_execution_32_in_flight: cpuMsPerExecution,
      executor_slots: noopExecutorSlots,
    };
  } finally {
    await service.stop();
  }
}

/** A `pyexec executor` process; resolves once it is consuming. */
function startExecutor(url: string, configFile: string, index: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'executor', '--nats', url, '--config', configFile, '--concurrency', '1', '--name', `bench-${index}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(': ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`executor exited (${code}): ${log}`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Sleep-bound jobs through `count` executor processes: executions per second. */
async function sleepBound(server: NatsServer, root: string, config: Config, count: number): Promise<number> {
  const configFile = join(root, `executor-${count}.yaml`);
  writeFileSync(configFile, stringify({ service: { executions_root: config.service.executions_root, log_level: 'silent' }, execution: { local: { python_env_path: python } } }));
  const serviceTransport = await createNatsTransport({ servers: server.url, name: 'bench service', keepEventsMs });
  const clientTransport = await createNatsTransport({ servers: server.url, name: 'bench client' });
  const service = await startService(config, { transport: serviceTransport, logger: silentLogger, actors: { executor: false }, supervisorId: `bench-sleep-${count}` });
  const executors = await Promise.all(Array.from({ length: count }, (_, index) => startExecutor(server.url, configFile, index)));
  try {
    const client = new PyexecClient(clientTransport, 'bench');
    const request = { task_objective: 'sleep', approved_code: sleepCode };
    await throughput(client, 2 * count, 2 * count, request); // warm every executor's kernel
    return (await throughput(client, sleepJobs, 16, request)).perSecond;
  } finally {
    await Promise.all(executors.map(stopProcess));
    await service.stop();
    await Promise.all([serviceTransport.close(), clientTransport.close()]);
  }
}

export async function run(): Promise<object> {
  const root = mkdtempSync(join(tmpdir(), 'pyexec-bench-nats-'));
  const server = await NatsServer.start();
  try {
    const config = benchConfig(root);
    const memory = createMemoryTransport({ stateDir: null });
    const inProcess = await statechart(config, memory, memory);
    await memory.close();

    // As `pyexec serve --nats` opens it: event, approval and audit streams declared, audit records acknowledged.
    const serviceTransport = await createNatsTransport({ servers: server.url, name: 'bench service', keepEventsMs });
    const clientTransport = await createNatsTransport({ servers: server.url, name: 'bench client' });
    const nats = await statechart(config, serviceTransport, clientTransport);
    await Promise.all([serviceTransport.close(), clientTransport.close()]);

    const sleepThroughput: Record<string, number> = {};
    for (const count of executorCounts) sleepThroughput[`executors_${count}`] = await sleepBound(server, root, config, count);
    const rates = executorCounts.map((count) => sleepThroughput[`executors_${count}`] ?? 0);
    return {
      noop_kernel_full_statechart: {
        in_process: inProcess,
        nats,
        ratio_nats_vs_in_process_throughput: Math.round((nats.executions_per_second_32_in_flight / inProcess.executions_per_second_32_in_flight) * 100) / 100,
        ratio_nats_vs_in_process_p50: Math.round((nats.sequential_latency.p50_ms / inProcess.sequential_latency.p50_ms) * 100) / 100,
      },
      sleep_bound_jobs: { code: 'time.sleep(0.05)', jobs: sleepJobs, executions_per_second: sleepThroughput },
      goals: {
        nats_at_least_300_per_second: nats.executions_per_second_32_in_flight >= 300,
        throughput_grows_with_executors: rates.every((rate, index) => index === 0 || rate > (rates[index - 1] ?? 0)),
      },
    };
  } finally {
    await server.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}
