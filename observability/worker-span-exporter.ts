/**
 * A span exporter whose OTLP work runs on a worker thread
 * (span-export-worker.js). Building the OTLP request, serialising it and
 * the HTTP round trip were over half of what tracing cost the process
 * (measured on the orchestration bench), and orchestration is bound by its
 * one event loop: here each batch leaves as plain data in one message, and
 * the event loop only waits for the worker's answer.
 *
 * The worker keeps the process alive only while a batch is with it, as the
 * BatchSpanProcessor's timer does not either; a flush or shutdown waits for
 * every batch sent.
 */
import { Worker } from 'node:worker_threads';
import type { Attributes, HrTime, Link, SpanKind, SpanStatus } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';

/** What the worker rebuilds a ReadableSpan from: structured-clone-safe, no functions. */
interface SpanData {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  traceFlags: number;
  parentSpanId: string | undefined;
  parentIsRemote: boolean | undefined;
  startTime: HrTime;
  endTime: HrTime;
  duration: HrTime;
  ended: boolean;
  status: SpanStatus;
  attributes: Attributes;
  links: Link[];
  events: TimedEvent[];
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
  scope: ReadableSpan['instrumentationScope'];
}

interface WorkerAnswer {
  id?: number;
  code?: ExportResultCode;
  error?: string;
  shutdown?: true;
}

function spanData(span: ReadableSpan): SpanData {
  const context = span.spanContext();
  return {
    name: span.name,
    kind: span.kind,
    traceId: context.traceId,
    spanId: context.spanId,
    traceFlags: context.traceFlags,
    parentSpanId: span.parentSpanContext?.spanId,
    parentIsRemote: span.parentSpanContext?.isRemote,
    startTime: span.startTime,
    endTime: span.endTime,
    duration: span.duration,
    ended: span.ended,
    status: span.status,
    attributes: span.attributes,
    links: span.links,
    events: span.events,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
    scope: span.instrumentationScope,
  };
}

export class WorkerSpanExporter implements SpanExporter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (result: ExportResult) => void>();
  private nextId = 0;
  private stopped = false;

  constructor(url: string) {
    // No inherited --import/--require: the worker is plain JavaScript and needs no loader.
    this.worker = new Worker(new URL('./span-export-worker.js', import.meta.url), { workerData: { url }, execArgv: [] });
    this.worker.unref();
    this.worker.on('message', (answer: WorkerAnswer) => this.answered(answer));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', () => this.failAll(new Error('the span export worker exited')));
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const first = spans[0];
    if (this.stopped || first === undefined) {
      resultCallback({ code: this.stopped ? ExportResultCode.FAILED : ExportResultCode.SUCCESS });
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, resultCallback);
    this.worker.ref();
    this.worker.postMessage({ id, resource: first.resource.attributes, spans: spans.map(spanData) });
  }

  /** Resolves once every batch sent so far has been answered. */
  async forceFlush(): Promise<void> {
    const answers = [...this.pending.keys()].map((id) => new Promise<void>((resolve) => this.whenAnswered(id, resolve)));
    await Promise.all(answers);
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.forceFlush();
    this.stopped = true;
    this.worker.ref();
    const finished = new Promise<void>((resolve) => this.worker.once('message', () => resolve()));
    this.worker.postMessage({ shutdown: true });
    await finished;
    await this.worker.terminate();
  }

  private whenAnswered(id: number, then: () => void): void {
    const callback = this.pending.get(id);
    if (!callback) return then();
    this.pending.set(id, (result) => {
      callback(result);
      then();
    });
  }

  private answered(answer: WorkerAnswer): void {
    if (answer.id === undefined) return;
    const callback = this.pending.get(answer.id);
    this.pending.delete(answer.id);
    if (this.pending.size === 0) this.worker.unref();
    const code = answer.code ?? ExportResultCode.FAILED;
    callback?.(code === ExportResultCode.SUCCESS ? { code } : { code, error: new Error(answer.error ?? 'span export failed') });
  }

  private failAll(error: Error): void {
    this.stopped = true;
    for (const callback of this.pending.values()) callback({ code: ExportResultCode.FAILED, error });
    this.pending.clear();
  }
}
