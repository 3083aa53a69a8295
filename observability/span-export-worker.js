// The OTLP exporter on a thread of its own (worker-span-exporter.ts sends it
// the spans of each batch as plain data). Plain JavaScript: a worker needs
// no loader, in the checkout as in the package.
import { parentPort, workerData } from 'node:worker_threads';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

const exporter = new OTLPTraceExporter({ url: workerData.url });

/** A span as the exporter reads it (the SDK's ReadableSpan), rebuilt from what was sent. */
function readable(span, resource) {
  const context = { traceId: span.traceId, spanId: span.spanId, traceFlags: span.traceFlags };
  const parent = span.parentSpanId ? { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: span.traceFlags, isRemote: span.parentIsRemote } : undefined;
  return { ...span, resource, spanContext: () => context, parentSpanContext: parent, instrumentationScope: span.scope };
}

parentPort.on('message', (message) => {
  if (message.shutdown) {
    void exporter.shutdown().then(() => parentPort.postMessage({ shutdown: true }));
    return;
  }
  const resource = resourceFromAttributes(message.resource);
  exporter.export(
    message.spans.map((span) => readable(span, resource)),
    (result) => parentPort.postMessage({ id: message.id, code: result.code, error: result.error ? String(result.error.message ?? result.error) : undefined }),
  );
});
