/**
 * Real nats-server processes for tests: JetStream on, a free loopback port,
 * a temporary store folder. A server can be stopped, killed with SIGKILL and
 * restarted on the same port and store; three of them form a JetStream
 * cluster on loopback. Never the system NATS on 4222.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, tempDir } from './temp.ts';

export interface NatsServerOptions {
  /**
   * A configuration file. The test's port overrides its own; the server runs
   * in the temporary store folder, so a relative `store_dir` lands there.
   */
  configFile?: string;
  /** Environment for the server (a config file may reference `$VARIABLES`). */
  env?: Record<string, string>;
  /** Credentials the readiness check connects with, when the config requires them. */
  auth?: { user: string; pass: string };
  serverName?: string;
  cluster?: { name: string; port: number; routes: string[] };
}

interface Launch extends NatsServerOptions {
  port: number;
  storeDir: string;
}

const readyTimeoutMs = 20_000;

export class NatsServer {
  private process: ChildProcess | null = null;
  private log = '';

  private constructor(
    private readonly launch: Launch,
    private readonly removeStore: () => void,
  ) {}

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const store = tempDir('pyexec-nats-');
    const server = new NatsServer({ ...options, port: await freePort(), storeDir: store.path }, store.remove);
    await server.restart();
    return server;
  }

  get port(): number {
    return this.launch.port;
  }

  /** The server name (cluster members have one; JetStream reports leaders by it). */
  get name(): string | undefined {
    return this.launch.serverName;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.launch.port}`;
  }

  get running(): boolean {
    return this.process !== null;
  }

  /** (Re)starts the server on its port and store, and waits until JetStream answers. */
  async restart(): Promise<void> {
    if (this.process) throw new Error(`nats-server on ${this.url} is already running`);
    this.log = '';
    const child = spawn(natsServerBinary(), argumentsFor(this.launch), {
      env: { ...process.env, ...this.launch.env },
      cwd: this.launch.storeDir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-20_000);
    });
    child.once('exit', () => {
      if (this.process === child) this.process = null;
    });
    this.process = child;
    await this.waitUntilReady(child);
  }

  /** Graceful stop (SIGTERM): the server flushes its store and closes client connections. */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /** kill -9: no flush, no goodbye. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  async dispose(): Promise<void> {
    await this.kill();
    this.removeStore();
  }

  /** The last lines the server logged (for assertion messages). */
  recentLog(): string {
    return this.log;
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`nats-server exited (code ${code}) while starting`))),
    );
    exited.catch(() => {});
    const started = Date.now();
    await Promise.race([exited, untilJetStreamAnswers(this.url, this.launch.auth, started)]).catch(async (error: unknown) => {
      await this.kill();
      throw error instanceof Error ? new Error(`${error.message}\n${this.log}`) : error;
    });
  }
}

/** A JetStream cluster of `size` servers on loopback. */
export class NatsCluster {
  private constructor(readonly servers: NatsServer[]) {}

  static async start(size = 3, options: Omit<NatsServerOptions, 'cluster' | 'serverName'> = {}): Promise<NatsCluster> {
    const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
    const routes = routePorts.map((port) => `nats://127.0.0.1:${port}`);
    const name = `pyexec-test-${Date.now().toString(36)}`;
    // The servers wait for each other to elect a JetStream leader, so they start together.
    const servers = await Promise.all(
      routePorts.map((port, index) =>
        NatsServer.start({ ...options, serverName: `${name}-n${index + 1}`, cluster: { name, port, routes } }),
      ),
    );
    return new NatsCluster(servers);
  }

  get urls(): string[] {
    return this.servers.map((server) => server.url);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.dispose()));
  }
}

function argumentsFor(launch: Launch): string[] {
  const args = ['-a', '127.0.0.1', '-p', String(launch.port), '-js'];
  // A config file names its own store folder (nats-server refuses both).
  args.push(...(launch.configFile ? ['-c', launch.configFile] : ['-sd', launch.storeDir]));
  if (launch.serverName) args.push('--server_name', launch.serverName);
  if (launch.cluster) {
    args.push(
      '--cluster_name', launch.cluster.name,
      '--cluster', `nats://127.0.0.1:${launch.cluster.port}`,
      '--routes', launch.cluster.routes.join(','),
    );
  }
  return args;
}

function natsServerBinary(): string {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  const found = folders.map((folder) => join(folder, 'nats-server')).find((path) => existsSync(path));
  if (!found) {
    throw new Error('nats-server is not installed: these tests start a real NATS server. Install it with `apt-get install nats-server` (Debian 12 ships 2.9.10).');
  }
  return found;
}

/** Ready means a client can connect and JetStream (in a cluster: its meta leader) answers. */
async function untilJetStreamAnswers(url: string, auth: { user: string; pass: string } | undefined, started: number): Promise<void> {
  let lastError: unknown;
  while (Date.now() - started < readyTimeoutMs) {
    try {
      const connection = await connect({ servers: url, reconnect: false, timeout: 1_000, ...auth });
      try {
        const jsm = await jetstreamManager(connection, { timeout: 1_000 });
        await jsm.getAccountInfo();
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`nats-server on ${url} was not ready within ${readyTimeoutMs} ms: ${String(lastError)}`);
}
