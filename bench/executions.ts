/** Executions as the service benches drive them: one to its end, or many at a time with what they cost. */
import type { PyexecClient } from '../client/client.ts';
import type { ExecutionRequestInput } from '../protocol/public.ts';

export interface Throughput {
  perSecond: number;
  cpuMsPerExecution: number;
}

/** One execution to its end; any outcome but success stops the bench (a figure of failures would mislead). */
export async function runToSuccess(client: PyexecClient, request: ExecutionRequestInput): Promise<void> {
  const handle = await client.submit(request);
  const summary = await handle.settled;
  if (summary.outcome !== 'succeeded') throw new Error(`bench execution ended ${summary.outcome}: ${JSON.stringify(summary.error_chain)}`);
}

/**
 * Executions per second with `inFlight` at a time, and the CPU time of this
 * process per execution (whatever runs in other processes not included):
 * steadier than the rate on a machine shared with other work.
 */
export async function throughput(client: PyexecClient, total: number, inFlight: number, request: ExecutionRequestInput): Promise<Throughput> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next += 1;
      await runToSuccess(client, request);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    perSecond: Math.round((total / ((performance.now() - started) / 1000)) * 10) / 10,
    cpuMsPerExecution: Math.round(((cpu.user + cpu.system) / 1000 / total) * 100) / 100,
  };
}
