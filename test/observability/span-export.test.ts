/**
 * What a process's tracing sends its collector: the library's OTLP/HTTP
 * exporter, protobuf by default and JSON when configured, decoded here by a
 * receiver that shares no code with the SDK. The spans must arrive as made
 * (ids, parent, name, attributes, the process's role), and a collector that
 * cannot be reached must neither fail the process's work nor hold up its
 * stop.
 */
import { diag } from '@opentelemetry/api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../config/schema.ts';
import { silentLogger, type Logger } from '../../logging/logger.ts';
import { logOpenTelemetryDiagnostics } from '../../observability/otel-diagnostics.ts';
import { createTracing, type Tracing } from '../../observability/tracing.ts';
import { OtlpReceiver } from '../support/otlp-receiver.ts';
import { eventually } from '../support/eventually.ts';
import { freePort } from '../support/temp.ts';

type Protocol = Config['observability']['otlp_protocol'];

const tracingTo = (endpoint: string, protocol: Protocol, logger: Logger = silentLogger) =>
  createTracing({ endpoint, protocol, serviceName: 'pyexec-test', role: 'export-test', logger });

/** A pino logger whose lines are kept, parsed. */
function capturedLog(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

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

  it('keeps working when no collector listens: the log says so once, the flush says so, the stop ends', async () => {
    const log = capturedLog();
    const tracing = tracingTo(`http://127.0.0.1:${await freePort()}/v1/traces`, 'http/protobuf', log.logger);
    const refused = () => log.lines.filter((line) => line.component === 'opentelemetry' && /ECONNREFUSED/.test(String(line.msg)));
    for (let execution = 0; execution < 20; execution++) await traceOneExecution(tracing, `unheard-${execution}`);
    // The batch goes on its timer, fails after the exporter's retries, and the process's log says why.
    const [failure] = await eventually(() => (refused().length > 0 ? refused() : undefined), 'the failed export in the log', 30_000);
    expect(failure).toMatchObject({ level: 50, msg: expect.stringMatching(/^span export failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/) });
    await traceOneExecution(tracing, 'unheard-last');
    await expect(tracing.flush()).rejects.toThrow(/ECONNREFUSED/);
    // The spans still open are lost; the stop neither throws nor waits past the exporter's timeout.
    await expect(tracing.stop()).resolves.toBeUndefined();
    expect(refused()).toHaveLength(1);
  }, 60_000);

  it('repeats a diagnostic once a minute at most, saying how often it recurred', () => {
    const log = capturedLog();
    let now = 0;
    logOpenTelemetryDiagnostics(log.logger, () => now);
    for (let batch = 0; batch < 3; batch++) diag.error('export failed: connect ECONNREFUSED');
    diag.warn('Dropped 12 spans because maxQueueSize reached');
    now += 61_000;
    diag.error('export failed: connect ECONNREFUSED');
    diag.warn('Dropped 12 spans because maxQueueSize reached');
    diag.info('not an operator matter');
    expect(log.lines.map((line) => [line.level, line.msg, line.repeats_since_last])).toEqual([
      [50, 'export failed: connect ECONNREFUSED', 0],
      [40, 'Dropped 12 spans because maxQueueSize reached', 0],
      [50, 'export failed: connect ECONNREFUSED', 2],
      [40, 'Dropped 12 spans because maxQueueSize reached', 0],
    ]);
  });
});
