/**
 * Traces on the embedded default, where the supervisor, the generator, the
 * analyzer and the executor share one process and one tracer: executions
 * run at once each get their own complete trace, every command span under
 * its state span and the adapters' spans under the command's, and none per
 * bus message; an execution the sampler leaves out records nothing and its
 * messages carry no trace context.
 */
import { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type Sampler } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { generatorCache, startService, type PyexecService } from '../../actors/service.ts';
import { createMemoryTransport } from '../../bus/memory/transport.ts';
import type { Transport } from '../../bus/transport.ts';
import type { MessageHeaders } from '../../bus/bus.ts';
import { parseConfig } from '../../config/load.ts';
import { silentLogger } from '../../logging/logger.ts';
import { Observability } from '../../observability/index.ts';
import { Tracing } from '../../observability/tracing.ts';
import { noopKernel } from '../support/noop-kernel.ts';
import { tempDir } from '../support/temp.ts';
import { readOnlyExecutionSpans } from '../support/execution-spans.ts';
import { subjects } from '../../protocol/subjects.ts';

/** The memory transport, noting the headers of every execution job it delivers. */
function noteJobHeaders(transport: Transport, seen: Array<MessageHeaders | undefined>): Transport {
  const { queues } = transport;
  return {
    ...transport,
    queues: {
      declare: (subject, options) => queues.declare(subject, options),
      enqueue: (subject, jobId, payload, options) => queues.enqueue(subject, jobId, payload, options),
      consume: (subject, handler, options) =>
        queues.consume(
          subject,
          (job) => {
            if (subject.startsWith(subjects.executeJobs(''))) seen.push(job.headers);
            return handler(job);
          },
          options,
        ),
      close: () => queues.close(),
    },
  };
}

describe('traces on the embedded default', () => {
  let stop: () => Promise<void> = async () => {};

  afterEach(async () => {
    await stop();
    stop = async () => {};
  });

  async function serviceTracedBy(sampler: Sampler | undefined): Promise<{ service: PyexecService; exporter: InMemorySpanExporter; jobHeaders: Array<MessageHeaders | undefined> }> {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const observability = new Observability('embedded', new Tracing(provider.getTracer('test'), provider), null);
    const jobHeaders: Array<MessageHeaders | undefined> = [];
    const transport = observability.transport(noteJobHeaders(createMemoryTransport({ stateDir: null }), jobHeaders), { supervisor: true });
    const folder = tempDir('pyexec-embedded-traces-');
    const config = parseConfig({ service: { executions_root: folder.path } });
    const generators = generatorCache(config, silentLogger);
    const service = await startService(config, {
      transport,
      logger: silentLogger,
      kernel: observability.kernel(noopKernel),
      generators: async (name) => observability.generator(await generators(name)),
    });
    observability.hostedBy((id) => service.supervisor.hosts(id));
    stop = async () => {
      await service.stop();
      await transport.close();
      await observability.stop();
      folder.remove();
    };
    return { service, exporter, jobHeaders };
  }

  it('gives each of several executions run at once its own complete trace', async () => {
    const { service, exporter } = await serviceTracedBy(undefined);
    const handles = await Promise.all(Array.from({ length: 8 }, (_, i) => service.client.submit({ task_objective: `read value ${i}`, behavior: 'success' })));
    for (const handle of handles) expect((await handle.settled).outcome).toBe('succeeded');

    const spans = exporter.getFinishedSpans();
    const roots = spans.filter((span) => span.name === 'execution');
    expect(roots).toHaveLength(8);
    for (const root of roots) {
      const trace = spans.filter((span) => span.spanContext().traceId === root.spanContext().traceId);
      expect(trace.map((span) => span.name).sort()).toEqual(readOnlyExecutionSpans);
      const named = (name: string): ReadableSpan | undefined => trace.find((span) => span.name === name);
      const parentOf = (name: string) => named(name)?.parentSpanContext?.spanId;
      const idOf = (name: string) => named(name)?.spanContext().spanId;
      expect(parentOf('state generating')).toBe(idOf('execution'));
      expect(parentOf('handle pyexec.cmd.generate')).toBe(idOf('state generating'));
      expect(parentOf('handle pyexec.cmd.analyze')).toBe(idOf('state analyzing'));
      expect(parentOf('job pyexec.jobs.execute.read_only')).toBe(idOf('state executing'));
      expect(named('job pyexec.jobs.execute.read_only')?.attributes['pyexec.kernel.status']).toBe('succeeded');
      expect(named('handle pyexec.cmd.generate')?.attributes['pyexec.attempt']).toBe(1);
    }
  });

  it('records nothing for an execution the sampler leaves out, and sends its job without trace context', async () => {
    const { service, exporter, jobHeaders } = await serviceTracedBy(new AlwaysOffSampler());
    expect((await (await service.client.submit({ task_objective: 'read one value', behavior: 'success' })).settled).outcome).toBe('succeeded');
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(jobHeaders).toHaveLength(1);
    expect(jobHeaders[0]?.traceparent).toBeUndefined();
  });
});
