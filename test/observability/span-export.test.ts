/**
 * What a process's tracing sends its collector: the library's OTLP/HTTP
 * exporter, protobuf by default and JSON when configured, decoded here by a
 * receiver that shares no code with the SDK. The spans must arrive as made
 * (ids, parent, name, attributes, the process's role), and a collector that
 * cannot be reached must neither fail the process's work nor hold up its
 * stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../config/schema.ts';
import { createTracing, type Tracing } from '../../observability/tracing.ts';
import { OtlpReceiver } from '../support/otlp-receiver.ts';
import { freePort } from '../support/temp.ts';

type Protocol = Config['observability']['otlp_protocol'];

const tracingTo = (endpoint: string, protocol: Protocol) => createTracing({ endpoint, protocol, serviceName: 'pyexec-test', role: 'export-test' });

/** One execution as a supervisor and a command handler in the same process trace it: root, a state, the command under it. */
async function traceOneExecution(tracing: Tracing, executionId: string): Promise<void> {
  tracing.onState(executionId, 'executing', 2);
  const headers = tracing.headersFor(executionId);
  await tracing.handle('job pyexec.jobs.execute.read_only', executionId, headers, async () => {
    tracing.annotate(executionId, { 'pyexec.kernel': 'local-warm', 'pyexec.kernel.status': 'succeeded' });
  });
  tracing.onState(executionId, 'done', 2);
}

describe('span export over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it.each<[Protocol, string]>([
    ['http/protobuf', 'protobuf'],
    ['http/json', 'json'],
  ])('delivers the spans as made with %s', async (protocol, encoding) => {
    const tracing = tracingTo(receiver.endpoint, protocol);
    const executionId = `export-${encoding}`;
    await traceOneExecution(tracing, executionId);
    await tracing.flush();
    await tracing.stop();

    const root = receiver.spans.find((span) => span.name === 'execution' && span.attributes['pyexec.execution_id'] === executionId);
    expect(root, 'the root span').toBeDefined();
    const trace = receiver.spans.filter((span) => span.traceId === root?.traceId);
    expect(trace.map((span) => span.name).sort()).toEqual(['execution', 'job pyexec.jobs.execute.read_only', 'state executing']);
    expect(new Set(trace.map((span) => span.encoding))).toEqual(new Set([encoding]));
    expect(new Set(trace.map((span) => span.role))).toEqual(new Set(['export-test']));
    expect(root?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root?.parentSpanId).toBe('');
    const state = trace.find((span) => span.name === 'state executing');
    expect(state?.parentSpanId).toBe(root?.spanId);
    expect(state?.attributes).toEqual({ 'pyexec.state': 'executing', 'pyexec.attempt': 2 });
    const job = trace.find((span) => span.name === 'job pyexec.jobs.execute.read_only');
    expect(job?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(job?.parentSpanId).toBe(state?.spanId);
    expect(job?.attributes).toEqual({ 'pyexec.execution_id': executionId, 'pyexec.kernel': 'local-warm', 'pyexec.kernel.status': 'succeeded' });
  });

  it('keeps working when no collector listens: the flush says so, the stop ends', async () => {
    const tracing = tracingTo(`http://127.0.0.1:${await freePort()}/v1/traces`, 'http/protobuf');
    for (let execution = 0; execution < 20; execution++) await traceOneExecution(tracing, `unheard-${execution}`);
    await expect(tracing.flush()).rejects.toThrow(/ECONNREFUSED/);
    await traceOneExecution(tracing, 'unheard-last');
    // The spans still open or batched are lost; the stop neither throws nor waits past the exporter's timeout.
    await expect(tracing.stop()).resolves.toBeUndefined();
  }, 60_000);
});
