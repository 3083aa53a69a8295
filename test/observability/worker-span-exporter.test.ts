/**
 * The span exporter that does its OTLP work on a worker thread: what it
 * sends must reach a real OTLP/HTTP receiver intact (ids, parent, name,
 * attributes, the process's role), a flush must wait for every batch, and a
 * collector that cannot be reached must fail the export rather than hang the
 * batch processor or keep the process alive.
 */
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerSpanExporter } from '../../observability/worker-span-exporter.ts';
import { OtlpReceiver } from '../support/otlp-receiver.ts';
import { freePort } from '../support/temp.ts';

/** Two finished spans, a parent and its child, made by the real SDK. */
function finishedSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'pyexec-test', 'service.instance.role': 'worker-test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('pyexec');
  const parent = tracer.startSpan('execution', { attributes: { 'pyexec.execution_id': 'exec-1' } }, ROOT_CONTEXT);
  const child = tracer.startSpan('state executing', { attributes: { 'pyexec.state': 'executing', 'pyexec.attempt': 2 } }, trace.setSpan(ROOT_CONTEXT, parent));
  child.end();
  parent.end();
  return memory.getFinishedSpans();
}

const exported = (exporter: WorkerSpanExporter, spans: ReadableSpan[]) =>
  new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

describe('WorkerSpanExporter', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('delivers the spans to an OTLP/HTTP receiver as the SDK made them', async () => {
    const exporter = new WorkerSpanExporter(receiver.endpoint);
    const spans = finishedSpans();
    expect((await exported(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
    await exporter.shutdown();

    const [child, parent] = spans.map((span) => span.spanContext());
    const received = receiver.spans.filter((span) => span.traceId === parent?.traceId);
    expect(received.map((span) => span.name).sort()).toEqual(['execution', 'state executing']);
    const executing = received.find((span) => span.name === 'state executing');
    expect(executing).toMatchObject({ spanId: child?.spanId, parentSpanId: parent?.spanId, role: 'worker-test' });
    expect(executing?.attributes).toEqual({ 'pyexec.state': 'executing', 'pyexec.attempt': 2 });
    expect(received.find((span) => span.name === 'execution')?.attributes).toEqual({ 'pyexec.execution_id': 'exec-1' });
  });

  it('answers a flush only once every batch sent has been answered', async () => {
    const exporter = new WorkerSpanExporter(receiver.endpoint);
    const before = receiver.spans.length;
    const results: ExportResult[] = [];
    for (let batch = 0; batch < 3; batch++) exporter.export(finishedSpans(), (result) => results.push(result));
    await exporter.forceFlush();
    expect(results.map((result) => result.code)).toEqual([ExportResultCode.SUCCESS, ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);
    expect(receiver.spans.length - before).toBe(6);
    await exporter.shutdown();
  });

  it('fails the export when no collector listens, and still shuts down', async () => {
    const exporter = new WorkerSpanExporter(`http://127.0.0.1:${await freePort()}/v1/traces`);
    const result = await exported(exporter, finishedSpans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toBeTruthy();
    await exporter.shutdown();
    // after shutdown nothing is sent: the answer comes at once
    expect((await exported(exporter, finishedSpans())).code).toBe(ExportResultCode.FAILED);
  }, 60_000);
});
