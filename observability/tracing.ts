/**
 * One trace per execution across processes. The supervisor's process opens
 * the execution's root span at its first state event and one child span per
 * state; every command it sends for that execution carries the current state
 * span in a W3C `traceparent` header; the generator, analyzer and executor
 * processes open their command span under it, and the adapters' spans
 * (kernel.execute, generator.generate) under that.
 *
 * Contexts are passed explicitly, keyed by execution id, rather than through
 * an async context manager: the actors interleave many executions on one
 * event loop, and the execution id is already on every message.
 */
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { MessageHeaders } from '../bus/bus.ts';
import type { StateName } from '../protocol/public.ts';

const propagator = new W3CTraceContextPropagator();
const headerSetter: TextMapSetter<Record<string, string>> = { set: (carrier, key, value) => void (carrier[key] = value) };
const headerGetter: TextMapGetter<MessageHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

interface ExecutionSpans {
  root: Span;
  state: Span;
  stateName: StateName;
}

export class Tracing {
  /** The supervisor's open spans, per execution it hosts. */
  private readonly executions = new Map<string, ExecutionSpans>();
  /** Command spans open in this process (executor, generator, analyzer), per execution. */
  private readonly commands = new Map<string, Context>();

  constructor(
    private readonly tracer: Tracer,
    private readonly provider: BasicTracerProvider,
  ) {}

  /** A state event published by this process: close the state left, open the one entered. */
  onState(executionId: string, state: StateName, attempt: number): void {
    const open = this.executions.get(executionId);
    if (open?.stateName === state) return;
    open?.state.end();
    const root = open?.root ?? this.tracer.startSpan('execution', { attributes: { 'pyexec.execution_id': executionId } }, ROOT_CONTEXT);
    if (state === 'done') {
      root.end();
      this.executions.delete(executionId);
      return;
    }
    const parent = trace.setSpan(ROOT_CONTEXT, root);
    const span = this.tracer.startSpan(`state ${state}`, { attributes: { 'pyexec.state': state, 'pyexec.attempt': attempt } }, parent);
    this.executions.set(executionId, { root, state: span, stateName: state });
  }

  /** Headers for a message about `executionId`: the open state span here, else the command span being handled here. */
  headersFor(executionId: string): Record<string, string> | undefined {
    const open = this.executions.get(executionId);
    const context = open ? trace.setSpan(ROOT_CONTEXT, open.state) : this.commands.get(executionId);
    if (!context) return undefined;
    const carrier: Record<string, string> = {};
    propagator.inject(context, carrier, headerSetter);
    return carrier;
  }

  /** Runs a received command under a span that continues the sender's trace (named only then: most messages carry none). */
  async handle<T>(nameOf: () => string, executionId: string | null, headers: MessageHeaders | undefined, run: () => Promise<T>): Promise<T> {
    if (headers?.traceparent === undefined) return run(); // not part of a traced execution
    const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    if (!trace.getSpanContext(parent)) return run();
    const span = this.tracer.startSpan(nameOf(), { attributes: executionId ? { 'pyexec.execution_id': executionId } : {} }, parent);
    if (executionId) this.commands.set(executionId, trace.setSpan(ROOT_CONTEXT, span));
    try {
      return await finish(span, run);
    } finally {
      if (executionId) this.commands.delete(executionId);
    }
  }

  /** A span for work done for `executionId` inside a command being handled here. */
  async span<T>(name: string, executionId: string | null, attributes: Attributes, run: () => Promise<T>): Promise<T> {
    const parent = executionId ? this.commands.get(executionId) : undefined;
    if (!parent) return run();
    return finish(this.tracer.startSpan(name, { attributes }, parent), run);
  }

  /** Exports the spans ended so far now (the batch would within half a second). */
  async flush(): Promise<void> {
    await this.provider.forceFlush();
  }

  async stop(): Promise<void> {
    for (const open of this.executions.values()) {
      open.state.end();
      open.root.end();
    }
    this.executions.clear();
    await this.provider.shutdown();
  }
}

async function finish<T>(span: Span, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** Spans exported with OTLP/HTTP (JSON) to `endpoint`, batched. */
export function createTracing(endpoint: string, serviceName: string, role: string): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.instance.role': role }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }), { scheduledDelayMillis: 500 })],
  });
  return new Tracing(provider.getTracer('pyexec'), provider);
}

/** Runs `run` inside a span when tracing is on; just runs it when it is off. */
export function withSpan<T>(tracing: Tracing | null, name: string, executionId: string | null, attributes: Attributes, run: () => Promise<T>): Promise<T> {
  return tracing ? tracing.span(name, executionId, attributes, run) : run();
}
