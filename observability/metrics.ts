/**
 * Every metric pyexec exports, defined once on one prom-client registry per
 * process. Label sets are bounded on purpose: outcome, mode, state, rule,
 * generator, kernel type — never an execution id, a PV or a user name, which
 * would grow a series per execution and exhaust the scraper.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds, from a 10 ms kernel round trip to an approval that waits an hour. */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export class PyexecMetrics {
  readonly registry = new Registry();
  /** Readers of live state (approvals waiting, warm pools), called when a scrape collects them. */
  private readonly scrapeReaders: Array<() => void> = [];
  private readonly readLiveState = () => {
    for (const read of this.scrapeReaders) read();
  };

  readonly executionsFinished = this.counter('pyexec_executions_finished_total', 'Executions that reached done, by outcome and execution mode', ['outcome', 'mode']);
  readonly transitions = this.counter('pyexec_state_transitions_total', 'Statechart transitions, by the state entered', ['state']);
  readonly stateSeconds = this.histogram('pyexec_state_duration_seconds', 'Time an execution spent in a state before leaving it', ['state']);
  readonly approvalsPending = this.liveGauge('pyexec_approvals_pending', 'Executions of this supervisor waiting for a human decision', []);
  readonly oldestApprovalSeconds = this.liveGauge('pyexec_approval_oldest_pending_seconds', 'Age of the longest-waiting approval of this supervisor (0 when none waits)', []);
  readonly decisions = this.counter('pyexec_decisions_total', 'Approval decisions: counted (by verdict) or refused (by reason)', ['result', 'reason']);
  readonly generationAttempts = this.counter('pyexec_generation_attempts_total', 'Code generation calls, by generator and result', ['generator', 'result']);
  readonly generationSeconds = this.histogram('pyexec_generation_duration_seconds', 'LLM latency of one code generation, by generator', ['generator']);
  readonly generationTokens = this.counter('pyexec_generation_tokens_total', 'Tokens reported by the LLM API, by generator and direction', ['generator', 'direction']);
  readonly analysisSeconds = this.histogram('pyexec_analysis_duration_seconds', 'Static analysis time of one piece of code', []);
  readonly findings = this.counter('pyexec_analysis_findings_total', 'Analysis findings, by rule and severity', ['rule', 'severity']);
  readonly kernelExecutions = this.counter('pyexec_kernel_executions_total', 'Execution attempts run by this process, by kernel type and result status', ['kernel', 'status']);
  readonly kernelSeconds = this.histogram('pyexec_kernel_execution_duration_seconds', 'Wall time of one execution attempt in a kernel, by kernel type', ['kernel']);
  readonly kernelUnavailable = this.counter('pyexec_kernel_unavailable_total', 'Attempts a kernel could not run at all (sandbox set-up failures included), by kernel type', ['kernel']);
  readonly sandboxFailures = this.counter('pyexec_sandbox_setup_failures_total', 'Kernel attempts refused because the OS sandbox could not be set up (fail closed)', ['kernel']);
  readonly warmPoolSize = this.liveGauge('pyexec_warm_pool_size', 'Warm kernels (or pre-forked children) ready to take a job, by kernel type', ['kernel']);
  /** The kernel keeps the running count; a gauge mirrors it (it only grows, as a counter would). */
  readonly warmPoolMisses = this.liveGauge('pyexec_warm_pool_misses', 'Jobs since start that found no warm kernel ready and waited for one, by kernel type', ['kernel']);
  readonly redeliveries = this.counter('pyexec_work_queue_redeliveries_total', 'Jobs delivered more than once (a consumer died, was slow, or nak-ed), by queue', ['queue']);
  readonly casConflicts = this.counter('pyexec_kv_cas_conflicts_total', 'KV compare-and-set writes refused because another writer got there first, by key kind', ['key_kind']);
  readonly storeUnavailable = this.counter('pyexec_store_unavailable_total', 'Store operations that failed because the KV store could not be reached, by operation', ['operation']);

  /*
   * The process's own figures. prom-client's default collectors are not used:
   * three of them are gauges named *_total, which promtool's lint refuses.
   */
  readonly residentMemory = this.gauge('pyexec_process_resident_memory_bytes', 'Resident memory of this Node.js process', [], function collect() {
    this.set(process.memoryUsage.rss());
  });
  readonly cpuSeconds = this.gauge('pyexec_process_cpu_seconds', 'User and system CPU time this Node.js process has used since it started', [], function collect() {
    const { user, system } = process.cpuUsage();
    this.set((user + system) / 1e6);
  });

  constructor(role: string) {
    this.registry.setDefaultLabels({ role });
  }

  /** `read` sets gauges from live state at each scrape (several metrics share one pass: reads must be cheap and idempotent). */
  onScrape(read: () => void): void {
    this.scrapeReaders.push(read);
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets: durationBuckets, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect: (this: Gauge<L>) => void): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry], collect });
  }

  /** A gauge set from live state at each scrape, by the readers given to onScrape. */
  private liveGauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return this.gauge(name, help, labelNames, this.readLiveState);
  }

  /** The exposition text, with its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
