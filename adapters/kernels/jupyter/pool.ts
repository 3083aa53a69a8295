/**
 * Warm kernels of one kernelspec, started ahead so an execution does not pay
 * the kernel start (~0.5 s, more with numpy and matplotlib preloaded).
 *
 * A kernel serves exactly one execution: `take` hands it out and removes it
 * from the pool, `retire` shuts it down, and the pool starts a fresh one in
 * its place. Nothing an execution leaves (variables, imports, monkeypatches,
 * threads, child processes) can reach the next one.
 *
 * Retiring waits `replaceDelayMs` first: a kernel start is about a second of
 * CPU (Python with numpy, matplotlib and pandas) and the server's work, and
 * right after `execute` returns the service still records the result and
 * writes the notebook, on the same two cores. `fill` does it at once.
 *
 * Bounded: at most `size` kernels wait or start ahead. Dead or disconnected
 * waiting kernels are dropped and replaced. Kernels left unused for `idleMs`
 * are shut down; the next `take` starts one cold and the pool refills.
 */
import type { ServerConnection } from '@jupyterlab/services';
import { silentLogger, type Logger } from '../../../logging/logger.ts';
import { KernelUnavailableError } from '../kernel.ts';
import { discardLiveKernel, isUsable, startLiveKernel, withTimeout, type LiveKernel } from './live-kernel.ts';
import { stagingRoot } from './staging.ts';

export interface KernelPoolOptions {
  settings: ServerConnection.ISettings;
  kernelName: string;
  /** Kernels kept ready ahead; 0 starts one per execution (cold). */
  size: number;
  idleMs: number;
  startTimeoutMs: number;
  /** execution.isolation `sandbox`: a kernelspec that does not run its kernels in the sandbox is refused (fail closed). */
  requireSandbox: boolean;
  logger?: Logger;
}

/** Longer than the service's work after an execution (a few ms), short next to a kernel start (~1 s). */
const replaceDelayMs = 50;
/** A readiness check reports within the probe's time (2 s) even while a busy server lists its kernelspecs. */
const readyCheckMs = 1000;

interface Waiter {
  resolve: (kernel: LiveKernel) => void;
  reject: (error: Error) => void;
}

export class KernelPool {
  private readonly ready: LiveKernel[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly discarding = new Set<Promise<void>>();
  private readonly starts = new Set<Promise<void>>();
  private readonly retiring: LiveKernel[] = [];
  private retireTimer: NodeJS.Timeout | undefined;
  private readonly cullTimer: NodeJS.Timeout;
  private lastTakenAt = performance.now();
  private closed = false;
  /** Takes that found no warm kernel ready although the pool keeps some ahead. */
  private missCount = 0;
  private everWarm = false;
  /** The last kernel start's failure, until a kernel arrives. */
  private lastStartError: Error | null = null;
  private readonly logger: Logger;
  /** The kernelspec's staging root, asked once (a failed ask is asked again). */
  private staging: Promise<string | null> | undefined;

  constructor(private readonly options: KernelPoolOptions) {
    this.logger = (options.logger ?? silentLogger).child({ kernel_name: options.kernelName });
    this.cullTimer = setInterval(() => this.cullIdle(), Math.max(1000, Math.min(options.idleMs / 2, 60_000)));
    this.cullTimer.unref();
  }

  /** Kernels ready or starting ahead. */
  get warmCount(): number {
    return this.ready.length + this.starts.size - this.waiters.length;
  }

  /** Warm kernels that can take an execution now. */
  get readyCount(): number {
    return this.ready.filter(isUsable).length;
  }

  get misses(): number {
    return this.missCount;
  }

  /**
   * Resolves when the pool can hand out a kernel: the kernelspec is usable
   * and a warm kernel waits, or (between executions, or after idle kernels
   * were shut down) the last start succeeded. Rejects before the first
   * kernel is warm and while starts fail; then starts kernels if none is
   * under way, so a pool nobody filled, or a server that is back, becomes
   * ready without waiting for a job.
   */
  async checkReady(): Promise<void> {
    if (this.closed) throw new KernelUnavailableError('the kernel pool is closed');
    await withTimeout(this.stagingRoot(), readyCheckMs, 'the server did not list its kernelspecs').catch((error: Error) => {
      throw error instanceof KernelUnavailableError ? error : new KernelUnavailableError(error.message);
    });
    if (this.options.size === 0 || this.readyCount > 0 || (this.everWarm && !this.lastStartError)) return;
    if (this.starts.size === 0) this.refill();
    const name = this.options.kernelName;
    if (this.lastStartError) throw new KernelUnavailableError(`no warm "${name}" kernel: the last start failed: ${this.lastStartError.message}`);
    throw new KernelUnavailableError(`no warm "${name}" kernel yet (${this.starts.size} starting)`);
  }

  /**
   * Starts the pool's kernels and resolves once they are all ready (or
   * failed) and the retired ones are shut down: a kernel shutting down takes
   * CPU (polite shutdown, process exit) from whatever runs next.
   */
  async fill(): Promise<void> {
    this.replaceRetired();
    this.refill();
    await Promise.all([...this.starts, ...this.discarding]);
  }

  /**
   * A ready kernel for one execution, started now if none waits. Never handed
   * out twice. The pool refills when the kernel is retired, not now: a kernel
   * starting next to the execution would take CPU from it.
   */
  take(): Promise<LiveKernel> {
    if (this.closed) return Promise.reject(new KernelUnavailableError('the kernel pool is closed'));
    this.lastTakenAt = performance.now();
    const kernel = this.takeReady();
    if (kernel) return Promise.resolve(kernel);
    if (this.options.size > 0) this.missCount += 1;
    return new Promise<LiveKernel>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.startOne();
    });
  }

  /**
   * Shuts down a kernel that served its execution and refills the pool, in
   * the background after `replaceDelayMs`; at once for a kernel still busy
   * (a timeout), dead or being restarted by the server (a crash), and then
   * resolves once the server has shut it down: such an execution's result is
   * reported only when its processes are gone.
   */
  retire(kernel: LiveKernel): Promise<void> {
    if (!isUsable(kernel)) return this.replace(kernel);
    this.retiring.push(kernel);
    this.retireTimer ??= setTimeout(() => this.replaceRetired(), replaceDelayMs);
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.cullTimer);
    this.replaceRetired();
    for (const waiter of this.waiters.splice(0)) waiter.reject(new KernelUnavailableError('the kernel pool is closed'));
    await Promise.all([...this.starts]);
    for (const kernel of this.ready.splice(0)) this.discard(kernel);
    await Promise.all([...this.discarding]);
  }

  private takeReady(): LiveKernel | undefined {
    for (let kernel = this.ready.shift(); kernel; kernel = this.ready.shift()) {
      if (isUsable(kernel)) return kernel;
      this.logger.warn({ kernel_id: kernel.id, status: kernel.connection.status }, 'dropping a dead warm kernel');
      this.discard(kernel);
    }
    return undefined;
  }

  private replaceRetired(): void {
    clearTimeout(this.retireTimer);
    this.retireTimer = undefined;
    for (const kernel of this.retiring.splice(0)) this.discard(kernel);
    this.refill();
  }

  private replace(kernel: LiveKernel): Promise<void> {
    const discarded = this.discard(kernel);
    this.refill();
    return discarded;
  }

  private refill(): void {
    if (this.closed) return;
    while (this.warmCount < this.options.size) this.startOne();
  }

  private startOne(): void {
    const start = this.stagingRoot()
      .then((root) => startLiveKernel(this.options.settings, this.options.kernelName, this.options.startTimeoutMs, root))
      .then(
        (kernel) => this.arrived(kernel),
        (error: Error) => this.failed(error),
      );
    this.starts.add(start);
    void start.finally(() => this.starts.delete(start));
  }

  private stagingRoot(): Promise<string | null> {
    const { settings, kernelName, startTimeoutMs } = this.options;
    this.staging ??= withTimeout(stagingRoot(settings, kernelName), startTimeoutMs, 'the server did not list its kernelspecs').then(
      (root) => {
        if (root === null && this.options.requireSandbox) {
          throw new KernelUnavailableError(
            `the Jupyter server at ${settings.baseUrl} runs "${kernelName}" kernels without pyexec's sandbox, so no code runs there: ` +
              'start it with `pyexec jupyter` (execution.isolation: sandbox), or set execution.isolation: none knowingly',
          );
        }
        return root;
      },
      (error: Error) => {
        this.staging = undefined;
        throw new KernelUnavailableError(`cannot read the "${kernelName}" kernelspec at ${settings.baseUrl}: ${error.message}`);
      },
    );
    return this.staging;
  }

  private arrived(kernel: LiveKernel): void {
    this.everWarm = true;
    this.lastStartError = null;
    const waiter = this.waiters.shift();
    if (waiter) return waiter.resolve(kernel);
    if (this.closed) {
      void this.discard(kernel);
      return;
    }
    this.ready.push(kernel);
    kernel.connection.statusChanged.connect((_, status) => {
      if (status === 'dead' || status === 'autorestarting' || status === 'restarting') this.dropWaiting(kernel);
    });
  }

  /** A start failed: the execution waiting for it fails; background refills wait for the next take. */
  private failed(error: Error): void {
    this.lastStartError = error;
    const waiter = this.waiters.shift();
    if (waiter) waiter.reject(error);
    else this.logger.warn({ err: error.message }, 'warm kernel did not start');
  }

  private dropWaiting(kernel: LiveKernel): void {
    const index = this.ready.indexOf(kernel);
    if (index < 0) return;
    this.ready.splice(index, 1);
    this.logger.warn({ kernel_id: kernel.id }, 'a warm kernel died; replacing it');
    void this.replace(kernel);
  }

  private cullIdle(): void {
    if (this.ready.length === 0 || performance.now() - this.lastTakenAt < this.options.idleMs) return;
    this.logger.info({ count: this.ready.length }, 'shutting down idle warm kernels');
    for (const kernel of this.ready.splice(0)) this.discard(kernel);
  }

  private discard(kernel: LiveKernel): Promise<void> {
    const done = discardLiveKernel(this.options.settings, kernel);
    this.discarding.add(done);
    void done.finally(() => this.discarding.delete(done));
    return done;
  }
}
