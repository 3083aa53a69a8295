/**
 * The local Python kernel: runs an execution attempt on this machine, either
 * cold (a new interpreter each time) or warm (forked from a preloaded fork
 * server per mode, with the cold path as fallback when the server cannot be
 * had).
 *
 * With execution.isolation `sandbox` (the default) both run inside the
 * mode's OS sandbox (adapters/sandbox/, docs/isolation.md): the code writes
 * to a staging folder, and when the attempt ends every process of it is
 * killed before what it left is copied into the execution folder; the
 * staging folder and cgroup are removed after the result is out.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describeZodError } from '../../../protocol/zod-error.ts';
import { executeJobSchema, type ExecuteJob, type ExecuteResult } from '../../../protocol/internal.ts';
import { KernelUnavailableError, type Kernel, type WarmPool } from '../kernel.ts';
import { readKernelLimits } from '../../limits/kernel-files.ts';
import { Attempt } from './attempt.ts';
import { copyBack } from './copy-back.ts';
import { runCold } from './cold-runner.ts';
import { scrubbedEnvironment } from './environment.ts';
import { executeResult } from './execute-result.ts';
import { ForkServer, type ForkServerSandbox } from './fork-server.ts';
import { harnessSpec, type HarnessSpec } from './harness-protocol.ts';
import type { LocalKernelOptions, LocalModeOptions } from './options.ts';
import { resolvePython } from './python-resolver.ts';
import { LocalSandboxes } from './sandboxes.ts';

/** After a fork server failed to start, the cold path is used for this long before trying again. */
const restartCooldownMs = 30_000;
/** Runs tried on fork servers (a dead one replaced in between) before the cold path. */
const warmTries = 2;

export function createLocalKernel(options: LocalKernelOptions): Kernel {
  return new LocalKernel(options);
}

class LocalKernel implements Kernel {
  readonly name: string;
  /** Warm only: one fork server per mode is the warm pool. */
  readonly warmPool?: () => WarmPool;
  private readonly servers = new Map<string, Promise<ForkServer>>();
  /** The last fork server that became ready, per mode (it may have died since). */
  private readonly started = new Map<string, ForkServer>();
  private readonly failures = new Map<string, { at: number; reason: string }>();
  /** Jobs that found their mode's fork server not running (starting, dead or failed). */
  private warmMisses = 0;
  private readonly sandboxes: LocalSandboxes;
  /** Executions still being torn down (killed, cgroup and staging folder removed) after their result. */
  private readonly teardowns = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: LocalKernelOptions) {
    this.name = options.warm ? 'local-warm' : 'local-cold';
    this.sandboxes = new LocalSandboxes(options);
    if (options.isolation === 'none') options.logger.warn({ kernel: this.name }, 'execution.isolation is none: generated code runs WITHOUT the OS sandbox (no namespaces, no network policy, no Landlock)');
    else void this.sandboxes.check().catch((error: unknown) => options.logger.error({ error: String(error) }, 'no OS sandbox: no code will run until this is fixed'));
    if (options.warm) {
      this.warmPool = () => ({ ready: Object.keys(options.modes).filter((mode) => this.isWarm(mode)).length, misses: this.warmMisses });
      for (const mode of Object.keys(options.modes)) void this.serverFor(mode).catch(() => undefined);
    }
  }

  /**
   * Ready when the interpreter resolves, the OS sandbox works (isolation
   * `sandbox`) and, warm, every mode's fork server runs. A dead server is
   * replaced now rather than at the next job; one that failed to start
   * leaves the kernel unready (jobs of its mode run cold, a second slower).
   */
  async ready(): Promise<void> {
    if (this.closed) throw new KernelUnavailableError(`${this.name} kernel is closed`);
    await resolvePython(this.options.pythonEnvPath);
    if (this.sandboxes.enabled) await this.sandboxes.check();
    if (!this.options.warm) return;
    const missing = Object.keys(this.options.modes).filter((mode) => !this.isWarm(mode));
    for (const mode of missing) void this.serverFor(mode).catch(() => undefined);
    if (missing.length > 0) throw new KernelUnavailableError(`no fork server running: ${missing.map((mode) => this.whyNotWarm(mode)).join('; ')}`);
  }

  async execute(input: ExecuteJob, signal?: AbortSignal): Promise<ExecuteResult> {
    if (this.closed) throw new KernelUnavailableError(`${this.name} kernel is closed`);
    signal?.throwIfAborted();
    const job = validJob(input);
    const mode = this.modeOf(job);
    if (!existsSync(job.folder)) throw new KernelUnavailableError(`execution folder ${job.folder} does not exist`);
    const python = await resolvePython(this.options.pythonEnvPath);
    const sandbox = await this.sandboxes.forMode(job.mode, mode, python);
    // Writes need both the job and its mode to allow them.
    const spec = harnessSpec(job, job.allows_writes && mode.allows_writes, scrubbedEnvironment(job.folder, mode.environment), this.options);
    if (sandbox) spec.context = readContext(job.folder);
    if (sandbox && spec.allows_writes) spec.channel_limits = readKernelLimits(job.folder, job.attempt);
    if (this.options.warm) {
      const warm = await this.tryWarm(job, spec, signal);
      if (warm) return warm;
    }
    const attempt = this.newAttempt(job, signal);
    if (sandbox) spec.slot = `c${randomBytes(8).toString('hex')}`;
    await runCold(python, spec, attempt, sandbox);
    return this.finish(job, attempt, 'local-cold', sandbox, spec.slot);
  }

  async close(): Promise<void> {
    this.closed = true;
    const servers = [...this.servers.values()];
    this.servers.clear();
    this.started.clear();
    await Promise.all(servers.map((server) => server.then((s) => s.close()).catch(() => undefined)));
    await Promise.all(this.teardowns);
    await this.sandboxes.close();
  }

  /**
   * null when no fork server could be had: go cold. A server that died before
   * the code ran is replaced and the run tried once more on the new one.
   */
  private async tryWarm(job: ExecuteJob, spec: HarnessSpec, signal?: AbortSignal): Promise<ExecuteResult | null> {
    if (!this.isWarm(job.mode)) this.warmMisses += 1;
    for (let attemptNumber = 1; attemptNumber <= warmTries; attemptNumber++) {
      let server: ForkServer;
      try {
        server = await this.serverFor(job.mode);
      } catch (error) {
        this.options.logger.warn({ mode: job.mode, error: String(error) }, 'no fork server; running cold');
        return null;
      }
      const attempt = this.newAttempt(job, signal);
      try {
        const slot = await server.run(spec, attempt);
        return await this.finish(job, attempt, 'local-warm', server.sandboxed, slot);
      } catch (error) {
        if (!(error instanceof KernelUnavailableError)) throw error;
        this.options.logger.warn({ mode: job.mode, error: error.message }, 'warm run did not start');
      }
    }
    return null;
  }

  /** The mode's fork server; a dead one is replaced, a failed start is retried after a cooldown. */
  private serverFor(mode: string): Promise<ForkServer> {
    const existing = this.servers.get(mode);
    if (existing) {
      return existing.then((server) => {
        if (server.alive) return server;
        if (this.servers.get(mode) === existing) this.servers.delete(mode);
        return this.serverFor(mode);
      });
    }
    const failure = this.failures.get(mode);
    if (failure !== undefined && Date.now() - failure.at < restartCooldownMs) {
      return Promise.reject(new KernelUnavailableError(`the fork server of mode ${mode} failed recently`));
    }
    const starting = this.startServer(mode);
    this.servers.set(mode, starting);
    starting.then(
      (server) => {
        this.failures.delete(mode);
        this.started.set(mode, server);
      },
      (error: unknown) => {
        this.failures.set(mode, { at: Date.now(), reason: error instanceof Error ? error.message : String(error) });
        if (this.servers.get(mode) === starting) this.servers.delete(mode);
      },
    );
    return starting;
  }

  private isWarm(mode: string): boolean {
    return this.started.get(mode)?.alive === true;
  }

  private whyNotWarm(mode: string): string {
    const failure = this.failures.get(mode);
    if (failure) return `mode ${mode}'s failed to start, its jobs run cold (${failure.reason})`;
    return this.started.has(mode) ? `mode ${mode}'s died, a new one is starting` : `mode ${mode}'s is starting`;
  }

  private async startServer(mode: string): Promise<ForkServer> {
    const python = await resolvePython(this.options.pythonEnvPath);
    const modeOptions = this.modeOf({ mode });
    const sandbox = await this.sandboxes.forMode(mode, modeOptions, python);
    const environment = scrubbedEnvironment(sandbox ? '/tmp' : tmpdir(), modeOptions.environment);
    if (sandbox) environment.MPLCONFIGDIR = '/tmp/matplotlib';
    const server = await ForkServer.start({ python, environment, logger: this.options.logger, sandbox });
    if (this.closed) {
      await server.close();
      throw new KernelUnavailableError(`${this.name} kernel is closed`);
    }
    return server;
  }

  private newAttempt(job: ExecuteJob, signal?: AbortSignal): Attempt {
    return new Attempt({ job, outputCapBytes: this.options.outputCapBytes, killGraceMs: this.options.killGraceMs, signal });
  }

  /**
   * A cancelled attempt has ended, so every process of it is gone. Its result
   * says whether the code had started (the harness connects the report
   * channel last, just before the code runs); one that finished first keeps
   * its success.
   */
  private async finish(
    job: ExecuteJob,
    attempt: Attempt,
    executor: string,
    sandbox: ForkServerSandbox | null = null,
    slot: string | null = null,
  ): Promise<ExecuteResult> {
    if (sandbox && slot) this.endSandboxed(job, sandbox, slot);
    const result = await executeResult(job, attempt, executor, this.options.isolation);
    if (attempt.stoppedBy !== 'cancelled' || result.status === 'succeeded') return result;
    const message = attempt.mayHaveRun ? 'the execution was cancelled and its processes killed' : 'the execution was cancelled before its code started';
    return { ...result, status: 'cancelled', code_started: attempt.mayHaveRun, error: { type: 'Cancelled', message } };
  }

  /**
   * Every process of the execution gets SIGKILL now (nothing it started
   * outlives its result); then its files are copied back. Waiting for the
   * processes to be gone and removing the cgroup and staging folders happens
   * after the result is out (an 86 MB process takes milliseconds to exit).
   */
  private endSandboxed(job: ExecuteJob, sandbox: ForkServerSandbox, slot: string): void {
    sandbox.sandbox.signal(slot, 'SIGKILL');
    try {
      copyBack(sandbox.sandbox.slotFolders(slot).work, job.folder, this.options.logger);
    } catch (error) {
      this.options.logger.warn({ slot, error: String(error) }, 'copying the staging folder back failed');
    }
    const teardown = sandbox.sandbox
      .release(slot)
      .catch((error: unknown) => this.options.logger.error({ slot, error: String(error) }, 'execution teardown failed'))
      .finally(() => this.teardowns.delete(teardown));
    this.teardowns.add(teardown);
  }

  private modeOf(job: Pick<ExecuteJob, 'mode'>): LocalModeOptions {
    const mode = this.options.modes[job.mode];
    if (!mode) {
      const known = Object.keys(this.options.modes).join(', ');
      throw new KernelUnavailableError(`execution mode "${job.mode}" is not configured (execution.modes has: ${known})`);
    }
    return mode;
  }
}

/** context.json's text for the staging folder, or null. */
function readContext(folder: string): string | null {
  try {
    return readFileSync(`${folder}/context.json`, 'utf8');
  } catch {
    return null;
  }
}

function validJob(input: unknown): ExecuteJob {
  const parsed = executeJobSchema.safeParse(input);
  if (!parsed.success) throw new TypeError(`invalid execute job:\n${describeZodError(parsed.error, 'job')}`);
  return parsed.data;
}
