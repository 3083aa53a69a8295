/**
 * One trace per execution across processes. The supervisor's process opens
 * the execution's root span at its first state event and one child span per
 * state; every command it sends for that execution carries the current state
 * span in a W3C `traceparent` header; the generator, analyzer and executor
 * processes open their command span under it. The adapters doing the
 * command's work (the kernel, the generator) add their attributes to that
 * span rather than open one of their own: it would last as long, and spans
 * are what tracing costs.
 *
 * Contexts are passed explicitly, keyed by execution id, rather than through
 * an async context manager: the actors interleave many executions on one
 * event loop, and the execution id is already on every message. What a
 * message carries is made once per span (its `traceparent` does not change
 * while the span is open), not once per message.
 */
import {
  diag,
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
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { MessageHeaders } from '../bus/bus.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logging/logger.ts';
import type { StateName } from '../protocol/public.ts';
import { logOpenTelemetryDiagnostics } from './otel-diagnostics.ts';

const propagator = new W3CTraceContextPropagator();
const headerSetter: TextMapSetter<Record<string, string>> = { set: (carrier, key, value) => void (carrier[key] = value) };
const headerGetter: TextMapGetter<MessageHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** An open span here, and the headers that continue it elsewhere once a message needs them. */
class OpenSpan {
  private formatted: Readonly<Record<string, string>> | undefined;

  constructor(readonly span: Span) {}

  /** The `traceparent` formatted once for every message sent under the span, and only if one is. */
  get headers(): Readonly<Record<string, string>> {
    if (this.formatted === undefined) {
      const headers: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, this.span), headers, headerSetter);
      this.formatted = headers;
    }
    return this.formatted;
  }
}

interface ExecutionSpans {
  root: Span;
  /** Null when the sampler left the execution out. */
  state: OpenSpan | null;
  stateName: StateName;
}

export class Tracing {
  /** The supervisor's open spans, per execution it hosts. */
  private readonly executions = new Map<string, ExecutionSpans>();
  /** Command spans open in this process (executor, generator, analyzer), per execution. */
  private readonly commands = new Map<string, OpenSpan>();

  constructor(
    private readonly tracer: Tracer,
    private readonly provider: BasicTracerProvider,
  ) {}

  /** A state event published by this process: close the state left, open the one entered. */
  onState(executionId: string, state: StateName, attempt: number): void {
    const open = this.executions.get(executionId);
    if (open?.stateName === state) return;
    open?.state?.span.end();
    const root = open?.root ?? this.tracer.startSpan('execution', { attributes: { 'pyexec.execution_id': executionId } }, ROOT_CONTEXT);
    if (state === 'done') {
      root.end();
      this.executions.delete(executionId);
      return;
    }
    // An execution the sampler left out opens no state span and its messages carry no context, so the
    // processes it reaches open no span for it either: an unsampled execution costs one root decision.
    const span = root.isRecording()
      ? new OpenSpan(this.tracer.startSpan(`state ${state}`, { attributes: { 'pyexec.state': state, 'pyexec.attempt': attempt } }, trace.setSpan(ROOT_CONTEXT, root)))
      : null;
    this.executions.set(executionId, { root, state: span, stateName: state });
  }

  /** Headers for a message about `executionId`: the open state span here, else the command span being handled here. */
  headersFor(executionId: string): Readonly<Record<string, string>> | undefined {
    const open = this.executions.get(executionId);
    return open ? open.state?.headers : this.commands.get(executionId)?.headers;
  }

  /** Runs a received command under a span that continues the sender's trace, when its message carries one. */
  async handle<T>(name: string, executionId: string | null, headers: MessageHeaders | undefined, run: () => Promise<T>): Promise<T> {
    if (headers?.traceparent === undefined) return run(); // not part of a traced execution
    const parent = this.sentFromHere(executionId, headers.traceparent) ?? propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    if (!trace.getSpanContext(parent)) return run();
    const command = new OpenSpan(this.tracer.startSpan(name, { attributes: executionId ? { 'pyexec.execution_id': executionId } : {} }, parent));
    if (executionId) this.commands.set(executionId, command);
    try {
      return await finish(command.span, run);
    } finally {
      // A redelivered command for the same execution may have taken the slot meanwhile: only this one's is removed.
      if (executionId && this.commands.get(executionId) === command) this.commands.delete(executionId);
    }
  }

  /**
   * The context of a command this very process sent (the embedded default, or `serve` hosting the
   * generator and analyzer): its state span is open here, so the header need not be parsed back.
   */
  private sentFromHere(executionId: string | null, traceparent: string): Context | undefined {
    const state = executionId === null ? undefined : this.executions.get(executionId)?.state;
    return state && state.headers.traceparent === traceparent ? trace.setSpan(ROOT_CONTEXT, state.span) : undefined;
  }

  /** Adds what an adapter knows (kernel, generator, result) to the span of the command being handled here for `executionId`. */
  annotate(executionId: string, attributes: Attributes): void {
    this.commands.get(executionId)?.span.setAttributes(attributes);
  }

  /** Exports the spans ended so far now (the batch would within half a second); rejects when the collector does not take them. */
  async flush(): Promise<void> {
    // The SDK rejects with the exporters' errors in an array: one Error that names them.
    await this.provider.forceFlush().catch((failure: unknown) => {
      throw new Error(`spans not exported: ${String(failure)}`);
    });
  }

  /**
   * Ends what is open and exports it. A collector that cannot be reached
   * loses those spans, which the log says (otel-diagnostics.ts), but does not
   * fail the process's stop; the exporter retries for at most its timeout
   * (OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, 10 s).
   */
  async stop(): Promise<void> {
    for (const open of this.executions.values()) {
      open.state?.span.end();
      open.root.end();
    }
    this.executions.clear();
    await this.provider.shutdown().catch((failure: unknown) => diag.error(`spans not exported at stop: ${String(failure)}`));
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

export interface TracingOptions {
  /** Where the OTLP/HTTP receiver listens (config observability.otlp_endpoint). */
  endpoint: string;
  protocol: Config['observability']['otlp_protocol'];
  /** The resource's `service.name` and `service.instance.role`. */
  serviceName: string;
  role: string;
  /** Where the SDK's own warnings go: a batch the collector did not take, spans dropped. */
  logger: Logger;
}

/**
 * Spans exported with OTLP/HTTP by the library's exporter, batched, from the
 * process that made them. Protobuf by default: OTLP's own default, and a
 * third of JSON's bytes for the same spans (measured: docs/operations.md, Cost).
 */
export function createTracing({ endpoint, protocol, serviceName, role, logger }: TracingOptions): Tracing {
  logOpenTelemetryDiagnostics(logger);
  const exporter = protocol === 'http/json' ? new JsonTraceExporter({ url: endpoint }) : new ProtobufTraceExporter({ url: endpoint });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.instance.role': role }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })],
  });
  return new Tracing(provider.getTracer('pyexec'), provider);
}
