/**
 * One execution over NATS, with the supervisor (and the generator and
 * analyzer) in `pyexec serve` and the kernel in a separate `pyexec
 * executor`: its spans reach an OTLP/HTTP receiver in the test with one
 * trace id across both processes, the executor's spans hanging under the
 * supervisor's `state executing` span through the W3C header on the job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../support/nats-server.ts';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { Deployment } from '../support/deployment.ts';
import { runPyexec, Site } from '../support/pyexec-site.ts';
import { eventually } from '../support/eventually.ts';
import { readOnlyExecutionSpans } from '../support/execution-spans.ts';

describe('traces of one execution across processes', () => {
  let nats: NatsServer;
  let receiver: OtlpReceiver;
  let deployment: Deployment;
  let site: Site;

  beforeAll(async () => {
    nats = await NatsServer.start();
    receiver = await OtlpReceiver.start();
    deployment = new Deployment(nats, nats.url, new Site({ observability: { otlp_endpoint: receiver.endpoint } }));
    ({ site } = deployment);
    const env = { PYEXEC_NATS_URL: nats.url };
    await deployment.start('serve', ['serve'], env);
    await deployment.start('executor', ['executor'], env);
  });

  afterAll(async () => {
    await deployment?.stop();
    await receiver?.close();
  });

  it('exports the execution, its states and every command under one trace id', async () => {
    const run = await runPyexec(site, ['submit', 'read one value', '--wait', '--id', 'trace-me-1'], { PYEXEC_NATS_URL: nats.url });
    expect(run.code, run.stderr).toBe(0);
    const byName = (name: string, role: string): ReceivedSpan | undefined => receiver.spans.find((span) => span.name === name && span.role === role);
    const root = await eventually(() => byName('execution', 'serve'), 'the execution\'s root span', 30_000);
    const job = await eventually(() => byName('job pyexec.jobs.execute.read_only', 'executor'), 'the executor\'s job span', 30_000);

    expect(root.attributes['pyexec.execution_id']).toBe('trace-me-1');
    const trace = receiver.spans.filter((span) => span.traceId === root.traceId);
    // A span per state and per command, none per bus message or adapter call: the execution's
    // events, results and replies, though they carry the context, open no span.
    expect(trace.map((span) => span.name).sort()).toEqual(readOnlyExecutionSpans);
    expect(new Set(trace.map((span) => span.role))).toEqual(new Set(['serve', 'executor']));
    expect(new Set(trace.map((span) => span.encoding)), 'OTLP/HTTP protobuf, the default').toEqual(new Set(['protobuf']));
    for (const state of ['generating', 'analyzing', 'executing']) {
      expect(trace.find((span) => span.name === `state ${state}`)?.parentSpanId, state).toBe(root.spanId);
    }
    const named = (name: string) => trace.find((span) => span.name === name);
    expect(job.traceId).toBe(root.traceId);
    expect(job.parentSpanId).toBe(named('state executing')?.spanId);
    // the kernel that ran the job and what it reported, added to the job's span by the executor
    expect(job.attributes).toMatchObject({ 'pyexec.execution_id': 'trace-me-1', 'pyexec.kernel': 'local-warm', 'pyexec.mode': 'read_only', 'pyexec.kernel.status': 'succeeded' });
    const generate = named('handle pyexec.cmd.generate');
    expect(generate?.parentSpanId).toBe(named('state generating')?.spanId);
    expect(generate?.attributes).toMatchObject({ 'pyexec.attempt': 1 });
    expect(generate?.attributes['pyexec.generator']).toEqual(expect.any(String));
    expect(named('handle pyexec.cmd.analyze')?.parentSpanId).toBe(named('state analyzing')?.spanId);
  });
});
