/**
 * The warm path: one long-lived Python per execution mode (heavy modules
 * imported once) that forks a fresh child per execution. Each child starts
 * its own session (process group), connects its stdout, stderr and report
 * channel to this side's Unix socket (introduced by a token) and runs the
 * job; the server reports the child's pid and exit on its control channel.
 * The server itself never runs user code, so every child starts clean.
 *
 * Sandboxed, the server runs inside its mode's sandbox for its whole life;
 * each spare takes its slot (cgroup, staging folder, Landlock) before a job
 * arrives, and the `forked` event names the slot: the attempt's processes
 * are then the slot's cgroup, not a process group of our pid namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '../../../logging/logger.ts';
import { insideChannels, type ModeSandbox } from '../../sandbox/index.ts';
import { KernelUnavailableError } from '../kernel.ts';
import type { Attempt, ChannelName } from './attempt.ts';
import { forkServerEventSchema, harnessPath, type ForkServerEvent, type HarnessSpec } from './harness-protocol.ts';
import { processGroup, signalName, signalNumber, type ProcessTree } from './process-group.ts';

const startTimeoutMs = 60_000;
const closeTimeoutMs = 3000;
const maxHeaderBytes = 128;
const stderrTailBytes = 4000;
/** How long an in-flight attempt may take to connect once the server is gone. */
const orphanGraceMs = 1000;
const channelNames: readonly ChannelName[] = ['stdout', 'stderr', 'report'];

interface InFlight {
  attempt: Attempt;
  notRun: (error: KernelUnavailableError) => void;
  slot: string | null;
}

export interface ForkServerSandbox {
  sandbox: ModeSandbox;
  /** The harness as seen inside. */
  harness: string;
  /** JSON for the harness's --confine. */
  confinement: string;
}

export interface ForkServerSettings {
  python: string;
  /** The server's own environment: the mode's scrubbed environment (PYTHONPATH applies at start). */
  environment: Record<string, string>;
  logger: Logger;
  /** null: run on this machine as we are (execution.isolation: none). */
  sandbox: ForkServerSandbox | null;
}

export class ForkServer {
  private readonly inFlight = new Map<string, InFlight>();
  private stderrTail = '';
  private exited = false;
  readonly exitedPromise: Promise<void>;

  private constructor(
    /** Removed at close: the socket folder, or (sandboxed) the socket file. */
    private readonly owned: string,
    private readonly sockets: Server,
    private readonly child: ChildProcess,
    private readonly logger: Logger,
    readonly sandboxed: ForkServerSandbox | null,
  ) {
    this.exitedPromise = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => this.lost(`exited with status ${code ?? signal}`));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-stderrTailBytes);
    });
    sockets.on('connection', (socket) => this.accept(socket));
    // Writing to a server that just died fails with EPIPE; its exit is handled by lost().
    child.stdin?.on('error', (error) => this.logger.debug({ error: error.message }, 'fork server input closed'));
  }

  static async start(settings: ForkServerSettings): Promise<ForkServer> {
    const { sandbox } = settings;
    // Sandboxed, the socket goes where the sandbox sees it (and is removed alone); else in a folder of its own.
    const socketName = `${randomBytes(8).toString('hex')}.sock`;
    const owned = sandbox ? join(sandbox.sandbox.channelsFolder, socketName) : mkdtempSync(join(tmpdir(), 'pyexec-fork-'));
    const socketPath = sandbox ? owned : join(owned, socketName);
    const sockets = createServer();
    await new Promise<void>((resolve, reject) => {
      sockets.once('error', reject);
      sockets.listen(socketPath, () => resolve());
    });
    let child: ChildProcess;
    if (sandbox) {
      // The sandbox's uid connects to it.
      chmodSync(socketPath, 0o666);
      const argv = [settings.python, sandbox.harness, 'serve', '--socket', `${insideChannels}/${socketName}`, '--confine', sandbox.confinement];
      const command = sandbox.sandbox.command(argv, settings.environment);
      child = spawn(command.file, command.args, { env: command.env, stdio: ['pipe', 'ignore', 'pipe', 'pipe'] });
    } else {
      child = spawn(settings.python, [harnessPath, 'serve', '--socket', socketPath], {
        cwd: owned,
        env: settings.environment,
        stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
      });
    }
    const server = new ForkServer(owned, sockets, child, settings.logger, sandbox);
    try {
      await server.waitReady();
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  get alive(): boolean {
    return !this.exited;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Runs the spec in a forked child; resolves when the attempt has ended,
   * with the child's slot when sandboxed (null otherwise or when it never
   * started). Rejects with KernelUnavailableError only when the code
   * certainly did not run (no fork, or the server died before the child
   * connected).
   */
  run(spec: HarnessSpec, attempt: Attempt): Promise<string | null> {
    if (this.exited) return Promise.reject(new KernelUnavailableError('the fork server is not running'));
    const token = randomBytes(16).toString('hex');
    return new Promise((resolve, reject) => {
      const entry: InFlight = { attempt, notRun: reject, slot: null };
      this.inFlight.set(token, entry);
      void attempt.ended.then(() => {
        this.inFlight.delete(token);
        resolve(entry.slot);
      });
      this.child.stdin?.write(`${JSON.stringify({ token, spec })}\n`);
    });
  }

  async close(): Promise<void> {
    // End of input tells the server to kill what it started and leave.
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), closeTimeoutMs);
    if (this.child.exitCode === null && this.child.signalCode === null) await this.exitedPromise;
    clearTimeout(timer);
    await new Promise<void>((resolve) => this.sockets.close(() => resolve()));
    rmSync(this.owned, { recursive: true, force: true });
  }

  private waitReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.unavailable('did not become ready')), startTimeoutMs);
      const control = createInterface({ input: this.child.stdio[3] as Readable });
      control.on('line', (line) => {
        const event = this.parseEvent(line);
        if (event?.event === 'ready') {
          clearTimeout(timer);
          this.logger.debug({ pid: event.pid, preloaded: event.preloaded }, 'fork server ready');
          resolve();
        } else if (event) this.dispatch(event);
      });
      this.child.once('error', (error) => reject(this.unavailable(error.message)));
      this.child.once('exit', () => {
        clearTimeout(timer);
        reject(this.unavailable('exited while starting'));
      });
    });
  }

  private parseEvent(line: string): ForkServerEvent | null {
    try {
      return forkServerEventSchema.parse(JSON.parse(line));
    } catch (error) {
      this.logger.warn({ line: line.slice(0, 200), error: String(error) }, 'unreadable fork server event');
      return null;
    }
  }

  private dispatch(event: ForkServerEvent): void {
    if (event.event === 'ready') return;
    const entry = this.inFlight.get(event.token);
    if (!entry) return;
    if (event.event === 'forked') {
      entry.slot = event.slot ?? null;
      entry.attempt.leaderStarted(this.treeOf(event.token, event.pid, entry.slot));
    }
    else if (event.event === 'exited') {
      entry.attempt.leaderExited({
        code: event.exit_code,
        signal: event.signal === null ? null : signalName(event.signal),
      });
    } else this.notRun(event.token, entry, `fork failed: ${event.message}`);
  }

  /** Unsandboxed: the child's process group. Sandboxed: its slot's cgroup, and its group through the server. */
  private treeOf(token: string, pid: number, slot: string | null): ProcessTree {
    const sandbox = this.sandboxed?.sandbox ?? null;
    if (sandbox === null || slot === null) return processGroup(pid);
    return {
      signal: (signal) => {
        sandbox.signal(slot, signal);
        if (!this.exited) this.child.stdin?.write(`${JSON.stringify({ kill: token, signal: signalNumber(signal) })}\n`);
      },
    };
  }

  private notRun(token: string, entry: InFlight, reason: string): void {
    this.inFlight.delete(token);
    entry.attempt.abandon();
    entry.notRun(this.unavailable(reason));
  }

  /** The server is gone: attempts whose code may have run finish on their channels. */
  private lost(reason: string): void {
    this.exited = true;
    if (this.inFlight.size > 0) this.logger.warn({ reason, stderr: this.stderrTail }, 'fork server died');
    for (const [token, entry] of this.inFlight) {
      entry.attempt.leaderUnobservable();
      setTimeout(() => {
        if (!entry.attempt.mayHaveRun) this.notRun(token, entry, reason);
      }, orphanGraceMs);
    }
  }

  private unavailable(reason: string): KernelUnavailableError {
    const stderr = this.stderrTail.trim();
    return new KernelUnavailableError(`fork server ${reason}${stderr ? `: ${stderr}` : ''}`);
  }

  /** A child's channel: `<token> <channel>\n`, then the stream itself. */
  private accept(socket: Socket): void {
    let header = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      header = Buffer.concat([header, chunk]);
      const newline = header.indexOf(10);
      if (newline < 0) {
        if (header.length > maxHeaderBytes) socket.destroy();
        return;
      }
      socket.off('data', onData);
      socket.pause();
      const [token = '', name = ''] = header.subarray(0, newline).toString('ascii').split(' ');
      const entry = this.inFlight.get(token);
      const channel = channelNames.find((known) => known === name);
      if (!entry || !channel) {
        socket.destroy();
        return;
      }
      const rest = header.subarray(newline + 1);
      if (rest.length > 0) socket.unshift(rest);
      entry.attempt.attach(channel, socket);
      socket.resume();
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  }
}
