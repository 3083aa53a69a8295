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

  readonly executionsFinished = new Counter({
    name: 'pyexec_executions_finished_total',
    help: 'Executions that reached done, by outcome and execution mode',
    labelNames: ['outcome', 'mode'] as const,
    registers: [this.registry],
  });

  readonly transitions = new Counter({
    name: 'pyexec_state_transitions_total',
    help: 'Statechart transitions, by the state entered',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly stateSeconds = new Histogram({
    name: 'pyexec_state_duration_seconds',
    help: 'Time an execution spent in a state before leaving it',
    labelNames: ['state'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  readonly approvalsPending = new Gauge({
    name: 'pyexec_approvals_pending',
    help: 'Executions of this supervisor waiting for a human decision',
    registers: [this.registry],
    collect: this.readLiveState,
  });

  readonly oldestApprovalSeconds = new Gauge({
    name: 'pyexec_approval_oldest_pending_seconds',
    help: 'Age of the longest-waiting approval of this supervisor (0 when none waits)',
    registers: [this.registry],
    collect: this.readLiveState,
  });

  readonly decisions = new Counter({
    name: 'pyexec_decisions_total',
    help: 'Approval decisions: counted (by verdict) or refused (by reason)',
    labelNames: ['result', 'reason'] as const,
    registers: [this.registry],
  });

  readonly generationAttempts = new Counter({
    name: 'pyexec_generation_attempts_total',
    help: 'Code generation calls, by generator and result',
    labelNames: ['generator', 'result'] as const,
    registers: [this.registry],
  });

  readonly generationSeconds = new Histogram({
    name: 'pyexec_generation_duration_seconds',
    help: 'LLM latency of one code generation, by generator',
    labelNames: ['generator'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  readonly generationTokens = new Counter({
    name: 'pyexec_generation_tokens_total',
    help: 'Tokens reported by the LLM API, by generator and direction',
    labelNames: ['generator', 'direction'] as const,
    registers: [this.registry],
  });

  readonly analysisSeconds = new Histogram({
    name: 'pyexec_analysis_duration_seconds',
    help: 'Static analysis time of one piece of code',
    buckets: durationBuckets,
    registers: [this.registry],
  });

  readonly findings = new Counter({
    name: 'pyexec_analysis_findings_total',
    help: 'Analysis findings, by rule and severity',
    labelNames: ['rule', 'severity'] as const,
    registers: [this.registry],
  });

  readonly kernelExecutions = new Counter({
    name: 'pyexec_kernel_executions_total',
    help: 'Execution attempts run by this process, by kernel type and result status',
    labelNames: ['kernel', 'status'] as const,
    registers: [this.registry],
  });

  readonly kernelSeconds = new Histogram({
    name: 'pyexec_kernel_execution_duration_seconds',
    help: 'Wall time of one execution attempt in a kernel, by kernel type',
    labelNames: ['kernel'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  readonly kernelUnavailable = new Counter({
    name: 'pyexec_kernel_unavailable_total',
    help: 'Attempts a kernel could not run at all (sandbox set-up failures included), by kernel type',
    labelNames: ['kernel'] as const,
    registers: [this.registry],
  });

  readonly sandboxFailures = new Counter({
    name: 'pyexec_sandbox_setup_failures_total',
    help: 'Kernel attempts refused because the OS sandbox could not be set up (fail closed)',
    labelNames: ['kernel'] as const,
    registers: [this.registry],
  });

  readonly warmPoolSize = new Gauge({
    name: 'pyexec_warm_pool_size',
    help: 'Warm kernels (or pre-forked children) ready to take a job, by kernel type',
    labelNames: ['kernel'] as const,
    registers: [this.registry],
    collect: this.readLiveState,
  });

  /** The kernel keeps the running count; a gauge mirrors it (it only grows, as a counter would). */
  readonly warmPoolMisses = new Gauge({
    name: 'pyexec_warm_pool_misses',
    help: 'Jobs since start that found no warm kernel ready and waited for one, by kernel type',
    labelNames: ['kernel'] as const,
    registers: [this.registry],
    collect: this.readLiveState,
  });

  readonly redeliveries = new Counter({
    name: 'pyexec_work_queue_redeliveries_total',
    help: 'Jobs delivered more than once (a consumer died, was slow, or nak-ed), by queue',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });

  readonly casConflicts = new Counter({
    name: 'pyexec_kv_cas_conflicts_total',
    help: 'KV compare-and-set writes refused because another writer got there first, by key kind',
    labelNames: ['key_kind'] as const,
    registers: [this.registry],
  });

  readonly storeUnavailable = new Counter({
    name: 'pyexec_store_unavailable_total',
    help: 'Store operations that failed because the KV store could not be reached, by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  /*
   * The process's own figures. prom-client's default collectors are not used:
   * three of them are gauges named *_total, which promtool's lint refuses.
   */
  readonly residentMemory = new Gauge({
    name: 'pyexec_process_resident_memory_bytes',
    help: 'Resident memory of this Node.js process',
    registers: [this.registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });

  readonly cpuSeconds = new Gauge({
    name: 'pyexec_process_cpu_seconds',
    help: 'User and system CPU time this Node.js process has used since it started',
    registers: [this.registry],
    collect() {
      const { user, system } = process.cpuUsage();
      this.set((user + system) / 1e6);
    },
  });

  constructor(role: string) {
    this.registry.setDefaultLabels({ role });
  }

  /** `read` sets gauges from live state at each scrape (several metrics share one pass: reads must be cheap and idempotent). */
  onScrape(read: () => void): void {
    this.scrapeReaders.push(read);
  }

  /** The exposition text, with its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
