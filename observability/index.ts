/**
 * Observability of one process, plugged in by configuration: metrics (and
 * /metrics, /healthz, /readyz) when a metrics port is set, OTLP traces when
 * an endpoint is set, nothing at all otherwise. A process wraps its
 * transport and adapters with it before handing them to the actors.
 */
import type { CodeAnalyzer } from '../adapters/analysis/analyzer.ts';
import type { CodeGenerator } from '../adapters/generators/generator.ts';
import type { Kernel } from '../adapters/kernels/kernel.ts';
import type { Transport } from '../bus/transport.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logging/logger.ts';
import { ExecutionMetrics, type HostsExecution } from './execution-metrics.ts';
import { serveEndpoints, type EndpointServer, type ReadinessCheck } from './http-endpoints.ts';
import { instrumentAnalyzer, instrumentGenerator, instrumentKernel } from './instrumented-adapters.ts';
import { instrumentTransport } from './instrumented-transport.ts';
import { PyexecMetrics } from './metrics.ts';
import { kernelCheck, transportChecks } from './readiness.ts';
import { createTracing, type Tracing } from './tracing.ts';

export type { ReadinessCheck } from './http-endpoints.ts';

export interface ObservabilityOptions {
  /** `serve`, `executor`, ...: a default label on every metric and the span resource's role. */
  role: string;
  /** Overrides config observability.metrics_port (the `--metrics-port` flag). */
  metricsPort?: number;
  /** The process's log, where the tracing SDK's warnings go. */
  logger: Logger;
}

export class Observability {
  readonly metrics: PyexecMetrics;
  private readonly checks: ReadinessCheck[] = [];
  private endpoints: EndpointServer | null = null;
  private hosts: HostsExecution = () => true;

  constructor(
    role: string,
    readonly tracing: Tracing | null,
    private readonly listen: { host: string; port: number } | null,
  ) {
    this.metrics = new PyexecMetrics(role);
  }

  /** Where the endpoints answer, once started. */
  get url(): string | null {
    return this.endpoints?.url ?? null;
  }

  /** The supervisor of this process, once built: approvals pending are counted for what it hosts. */
  hostedBy(hosts: HostsExecution): void {
    this.hosts = hosts;
  }

  transport(transport: Transport, options: { supervisor: boolean }): Transport {
    this.checks.push(...transportChecks(transport));
    const executions = options.supervisor ? new ExecutionMetrics(this.metrics, (id) => this.hosts(id)) : null;
    return instrumentTransport(transport, { metrics: this.metrics, tracing: this.tracing, executions });
  }

  kernel(kernel: Kernel): Kernel {
    this.checks.push(kernelCheck(kernel));
    return instrumentKernel(kernel, this.metrics, this.tracing);
  }

  analyzer(analyzer: CodeAnalyzer): CodeAnalyzer {
    return instrumentAnalyzer(analyzer, this.metrics);
  }

  generator(generator: CodeGenerator): CodeGenerator {
    return instrumentGenerator(generator, this.metrics, this.tracing);
  }

  /** Starts /metrics, /healthz and /readyz when a port was configured. */
  async start(): Promise<void> {
    if (this.listen) this.endpoints = await serveEndpoints(this.metrics, this.checks, this.listen.host, this.listen.port);
  }

  async stop(): Promise<void> {
    await this.endpoints?.close();
    await this.tracing?.stop();
  }
}

/** Null when neither metrics nor traces are configured: the process runs uninstrumented. */
export function createObservability(config: Config['observability'], options: ObservabilityOptions): Observability | null {
  const port = options.metricsPort ?? config.metrics_port;
  if (port === null && config.otlp_endpoint === null) return null;
  const tracing =
    config.otlp_endpoint === null
      ? null
      : createTracing({ endpoint: config.otlp_endpoint, protocol: config.otlp_protocol, serviceName: config.service_name, role: options.role, logger: options.logger });
  return new Observability(options.role, tracing, port === null ? null : { host: config.metrics_host, port });
}
