/**
 * A real Prometheus scrapes a running `pyexec serve` and `pyexec executor`
 * (separate processes on a real nats-server) while executions run; the test
 * reads the counters back through Prometheus's query API, checks the
 * exposition with promtool, and probes /healthz and /readyz — including
 * /readyz failing while the NATS server is down, and the executor's /readyz
 * checking its kernel. The executor's warm pool (a fork server per mode)
 * is read back too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../support/nats-server.ts';
import { Prometheus, promtoolProblems } from '../support/prometheus.ts';
import { Deployment } from '../support/deployment.ts';
import { runPyexec, type PyexecProcess, type Site } from '../support/pyexec-site.ts';
import { eventually } from '../support/eventually.ts';

const metricsAddress = (process: PyexecProcess): string => {
  const match = /metrics at http:\/\/([\d.]+:\d+)\/metrics/.exec(process.output());
  if (!match?.[1]) throw new Error(`${process.name} printed no metrics address:\n${process.output()}`);
  return match[1];
};

describe('metrics scraped by a real Prometheus', () => {
  let nats: NatsServer;
  let deployment: Deployment;
  let site: Site;
  let prometheus: Prometheus;
  let serve: PyexecProcess;
  let executor: PyexecProcess;
  const env = () => ({ PYEXEC_NATS_URL: nats.url });

  beforeAll(async () => {
    nats = await NatsServer.start();
    deployment = new Deployment(nats, nats.url);
    ({ site } = deployment);
    serve = await deployment.start('serve', ['serve', '--metrics-port', '0'], env());
    executor = await deployment.start('executor', ['executor', '--metrics-port', '0'], env());
    prometheus = await Prometheus.start([metricsAddress(serve), metricsAddress(executor)]);
  });

  afterAll(async () => {
    await prometheus?.dispose();
    await deployment?.stop();
  });

  it('counts executions by outcome and mode, transitions, kernel runs and analysis, as Prometheus reads them', async () => {
    for (let i = 0; i < 3; i++) {
      const run = await runPyexec(site, ['submit', `read a value ${i}`, '--wait'], env());
      expect(run.code, run.stderr).toBe(0);
    }
    const finished = await eventually(
      async () => ((await prometheus.value('sum(pyexec_executions_finished_total{outcome="succeeded",mode="read_only",role="serve"})')) ?? 0) >= 3 || undefined,
      'Prometheus to see three succeeded executions',
    );
    expect(finished).toBe(true);
    expect(await prometheus.value('sum(pyexec_state_transitions_total{state="executing"})')).toBe(3);
    expect(await prometheus.value('sum(pyexec_state_duration_seconds_count{state="analyzing"})')).toBe(3);
    expect(await prometheus.value('sum(pyexec_analysis_duration_seconds_count)')).toBe(3);
    await eventually(async () => (await prometheus.value('sum(pyexec_kernel_executions_total{role="executor",status="succeeded"})')) === 3 || undefined, 'the executor\'s kernel runs');
    expect(await prometheus.value('sum(pyexec_generation_attempts_total{result="ok"})')).toBe(3);
    expect(await prometheus.value('pyexec_approvals_pending')).toBe(0);
    // The site's two modes, one fork server each; none missing for long enough to be scraped as such.
    await eventually(async () => (await prometheus.value('pyexec_warm_pool_size{role="executor",kernel="local-warm"}')) === 2 || undefined, 'the executor\'s warm pool');
    expect(await prometheus.value('pyexec_warm_pool_misses{role="executor",kernel="local-warm"}')).not.toBeNull();
    expect(await prometheus.targetHealth()).toEqual(['up', 'up']);
  });

  it('serves an exposition that promtool accepts and no execution id in any label', async () => {
    for (const process of [serve, executor]) {
      const text = await (await fetch(`http://${metricsAddress(process)}/metrics`)).text();
      expect(promtoolProblems(text)).toEqual([]);
      expect(text).not.toMatch(/execution_id|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
    }
  });

  it('answers /healthz, and /readyz only while the bus and store answer', async () => {
    const address = metricsAddress(serve);
    expect((await fetch(`http://${address}/healthz`)).status).toBe(200);
    const ready = await fetch(`http://${address}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: ['bus', 'store'], failures: [] });
    const executorReady = await fetch(`http://${metricsAddress(executor)}/readyz`);
    expect(executorReady.status).toBe(200);
    expect(await executorReady.json()).toEqual({ ready: true, checks: ['kernel', 'bus', 'store'], failures: [] });
    await nats.stop();
    try {
      const down = await fetch(`http://${address}/readyz`);
      expect(down.status).toBe(503);
      const body = (await down.json()) as { failures: Array<{ check: string }> };
      expect(body.failures.map((failure) => failure.check)).toContain('bus');
      expect((await fetch(`http://${address}/healthz`)).status).toBe(200);
    } finally {
      await nats.restart();
    }
    await eventually(async () => (await fetch(`http://${address}/readyz`)).status === 200 || undefined, '/readyz back after the server returns', 30_000);
  });
});
