/**
 * The life of one execution attempt as Node sees it, whatever runs it (a cold
 * interpreter or a forked child): three channels (stdout, stderr, report),
 * the process group leader, its exit, the wall-clock timeout and
 * cancellation. It ends when the channels are closed and either a report
 * arrived (the harness closes stdout and stderr before it reports, so the
 * leader's slow exit need not be waited for) or the leader has exited; or
 * after a grace period when the channels never close. At its end the
 * process group is killed: nothing the code started outlives it.
 *
 * A warm attempt learns its processes (and, sandboxed, its slot) from the
 * fork server's `forked` event, on a pipe of its own: the child's channels
 * can connect, report and close before Node reads that line. Until the
 * processes are known (or known to be unknowable), an attempt does not end:
 * ended early, nothing would be killed and the slot's files not copied back.
 */
import type { Readable } from 'node:stream';
import type { ExecuteJob } from '../../../protocol/internal.ts';
import { OutputCapture, type StreamName } from './output-capture.ts';
import type { ProcessTree } from './process-group.ts';

export type ChannelName = StreamName | 'report';
const channelCount = 3;
/** A report larger than what the harness allows for results is not a report. */
const maxReportBytes = 80 * 1024 * 1024;
/** After the leader exits: how long channels may take to close (or, warm, to be accepted). */
const channelGraceMs = 1000;

export interface ProcessExit {
  /** null when the exit could not be observed (the fork server died). */
  code: number | null;
  signal: string | null;
}

export interface AttemptSettings {
  job: ExecuteJob;
  outputCapBytes: number;
  killGraceMs: number;
  signal?: AbortSignal | undefined;
}

export type StopReason = 'timeout' | 'cancelled';

export class Attempt {
  readonly output: OutputCapture;
  readonly startedAt = performance.now();
  private readonly reportChunks: Buffer[] = [];
  private reportBytes = 0;
  private readonly attached = new Set<ChannelName>();
  private readonly open = new Set<Readable>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private tree: ProcessTree | null = null;
  private exitInfo: ProcessExit | null = null;
  private leaderLost = false;
  private stopReason: StopReason | null = null;
  private finished = false;
  private resolveEnded!: () => void;
  /** Resolves once the attempt is over and nothing of it runs any more. */
  readonly ended = new Promise<void>((resolve) => (this.resolveEnded = resolve));
  private readonly onAbort = () => this.stop('cancelled');

  constructor(private readonly settings: AttemptSettings) {
    this.output = new OutputCapture(settings.outputCapBytes);
    this.after(settings.job.timeout_seconds * 1000, () => this.stop('timeout'));
    settings.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (settings.signal?.aborted) this.stop('cancelled');
  }

  /** The code runs only after all channels are connected, the report channel last. */
  get mayHaveRun(): boolean {
    return this.attached.has('report');
  }

  get exit(): ProcessExit | null {
    return this.exitInfo;
  }

  /** The fork server died while this attempt ran: how its code ended cannot be known. */
  get lostLeader(): boolean {
    return this.leaderLost;
  }

  get stoppedBy(): StopReason | null {
    return this.stopReason;
  }

  get abortReason(): unknown {
    return this.settings.signal?.reason;
  }

  /** The report bytes, or null when the report overflowed. */
  get report(): Buffer | null {
    return this.reportBytes > maxReportBytes ? null : Buffer.concat(this.reportChunks);
  }

  attach(name: ChannelName, stream: Readable): void {
    if (this.finished || this.attached.has(name)) {
      stream.destroy();
      return;
    }
    this.attached.add(name);
    this.open.add(stream);
    stream.on('data', (chunk: Buffer) => this.receive(name, chunk));
    const closed = () => {
      this.open.delete(stream);
      this.checkEnd();
    };
    stream.once('end', closed);
    stream.once('close', closed);
    stream.once('error', closed);
  }

  /** The processes of the attempt are known: a stop that came first applies now. */
  leaderStarted(tree: ProcessTree): void {
    this.tree = tree;
    if (this.stopReason !== null) tree.signal('SIGTERM', true);
    this.checkEnd();
  }

  leaderExited(exit: ProcessExit): void {
    if (this.exitInfo !== null) return;
    this.exitInfo = exit;
    if (this.finished) return;
    this.tree?.signal('SIGKILL', false);
    this.after(channelGraceMs, () => this.end());
    this.checkEnd();
  }

  /** The leader's exit will never be reported (fork server gone): closed channels are the end. */
  leaderUnobservable(): void {
    this.leaderLost = true;
    this.after(channelGraceMs, () => this.checkEnd());
    this.checkEnd();
  }

  /** SIGTERM to the group, SIGKILL after the grace; the attempt ends even if no exit is ever seen. */
  stop(reason: StopReason): void {
    if (this.finished || this.stopReason !== null || this.exitInfo !== null) return;
    this.stopReason = reason;
    const { killGraceMs } = this.settings;
    this.tree?.signal('SIGTERM', true);
    this.after(killGraceMs, () => this.tree?.signal('SIGKILL', this.exitInfo === null));
    this.after(2 * killGraceMs + channelGraceMs, () => this.end());
  }

  /** Ends the attempt now (e.g. it could not be started). */
  abandon(): void {
    this.end();
  }

  private receive(name: ChannelName, chunk: Buffer): void {
    if (name !== 'report') {
      this.output.push(name, chunk);
      return;
    }
    this.reportBytes += chunk.length;
    if (this.reportBytes <= maxReportBytes) this.reportChunks.push(chunk);
    else this.reportChunks.length = 0;
  }

  private checkEnd(): void {
    const channelsDone = this.attached.size === channelCount && this.open.size === 0;
    const reported = this.reportBytes > 0;
    const leaderKnown = this.tree !== null || this.leaderLost;
    if (channelsDone && leaderKnown && (reported || this.exitInfo !== null || this.leaderLost)) this.end();
  }

  private after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const stream of this.open) stream.destroy();
    this.open.clear();
    if (this.exitInfo === null) this.tree?.signal('SIGKILL', false);
    this.settings.signal?.removeEventListener('abort', this.onAbort);
    this.resolveEnded();
  }
}
