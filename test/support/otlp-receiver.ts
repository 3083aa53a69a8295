/**
 * An OTLP/HTTP trace receiver for tests: it accepts what an OpenTelemetry
 * exporter POSTs to /v1/traces, protobuf (`application/x-protobuf`) or JSON,
 * and keeps the spans, each with the `service.instance.role` of the process
 * that sent it and the encoding it came in. Protobuf is decoded by
 * protobufjs from the OTLP schema (opentelemetry-proto's trace, common and
 * resource messages, the fields read here), not by the SDK that wrote it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

export type OtlpEncoding = 'protobuf' | 'json';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  role: string;
  attributes: Record<string, unknown>;
  encoding: OtlpEncoding;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
/** An export request as OTLP/JSON spells it, and as the protobuf one reads once decoded (ids then hex). */
interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[] }> }>;
  }>;
}

const otlpSchema = `
syntax = "proto3";
package opentelemetry.proto;
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; repeated KeyValue attributes = 9; }
message ScopeSpans { repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;
const exportRequest = protobuf.parse(otlpSchema).root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');

const spansOf = (request: OtlpRequest) => (request.resourceSpans ?? []).flatMap((resource) => (resource.scopeSpans ?? []).flatMap((scope) => scope.spans ?? []));
const base64ToHex = (base64: string | undefined) => (base64 === undefined ? undefined : Buffer.from(base64, 'base64').toString('hex'));

/** A protobuf export request as OTLP/JSON spells it: camelCase fields, ids in hex, 64-bit integers as numbers. */
function decodeProtobuf(body: Buffer): OtlpRequest {
  const request = exportRequest.toObject(exportRequest.decode(body), { longs: Number, bytes: String }) as OtlpRequest;
  for (const span of spansOf(request)) {
    span.traceId = base64ToHex(span.traceId) ?? '';
    span.spanId = base64ToHex(span.spanId) ?? '';
    span.parentSpanId = base64ToHex(span.parentSpanId);
  }
  return request;
}

const plain = (value: OtlpValue): unknown => value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue;
const attributeRecord = (attributes: OtlpAttribute[] = []): Record<string, unknown> =>
  Object.fromEntries(attributes.map((attribute) => [attribute.key, plain(attribute.value)]));

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const protobufBody = request.headers['content-type'] === 'application/x-protobuf';
        if (request.url === '/v1/traces' && request.method === 'POST') {
          const body = Buffer.concat(chunks);
          receiver.accept(protobufBody ? decodeProtobuf(body) : (JSON.parse(body.toString()) as OtlpRequest), protobufBody ? 'protobuf' : 'json');
        }
        // An empty ExportTraceServiceResponse, in the encoding the request came in.
        response.writeHead(request.url === '/v1/traces' ? 200 : 404, { 'content-type': protobufBody ? 'application/x-protobuf' : 'application/json' });
        response.end(protobufBody ? '' : '{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(request: OtlpRequest, encoding: OtlpEncoding): void {
    for (const resourceSpans of request.resourceSpans ?? []) {
      const role = String(attributeRecord(resourceSpans.resource?.attributes)['service.instance.role'] ?? '');
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({ traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId ?? '', name: span.name, role, attributes: attributeRecord(span.attributes), encoding });
        }
      }
    }
  }
}
