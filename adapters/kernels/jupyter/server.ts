/**
 * Starts Debian's Jupyter Server (jupyter-server 1.23, run as
 * `/usr/bin/python3 -m jupyter_server`) with pyexec's kernelspecs and server
 * configuration, for `pyexec jupyter`, the tests and the benchmarks.
 *
 * Everything the server reads lives under one state folder: the kernelspecs
 * (JUPYTER_PATH), an empty config folder (so ~/.jupyter cannot change
 * behaviour), the runtime folder and IPYTHONDIR. The server, and so every
 * kernel, gets a scrubbed environment; the token travels in an environment
 * variable that the shipped configuration removes before any kernel starts.
 *
 * Kernels run in pyexec's OS sandbox unless `isolation: 'none'` (sandbox.ts):
 * the sandboxes are opened before the server starts (no sandbox, no server:
 * fail closed) and closed after it stops, and the server's kernels talk ZMQ
 * over ipc sockets, which cross the sandbox's network namespace as files.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionModeConfig } from '../../../config/schema.ts';
import { silentLogger, type Logger } from '../../../logging/logger.ts';
import { defaultMaxProcesses } from '../execution-limits.ts';
import { defaultKernelPython, writeKernelspecs } from './kernelspecs.ts';
import { openJupyterSandboxes, type JupyterModeSandbox, type JupyterSandboxes, type SandboxLimits } from './sandbox.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const serverConfigFile = resolve(here, 'server/jupyter_server_config.py');
const aptHint = 'install the Debian packages: apt-get install -y jupyter-server python3-ipykernel (or run scripts/setup.sh)';

/** Variables the server and its kernels may inherit; everything else (API keys, credentials) is dropped. */
const inheritedVariables = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'USER', 'LOGNAME'];

export interface JupyterServerOptions {
  /** Execution modes whose kernelspecs the server offers (config.execution.modes). */
  modes: Record<string, ExecutionModeConfig>;
  /** Folder the server serves (notebook links resolve against it): usually the executions root. */
  rootDir: string;
  /** Where kernelspecs, config and runtime files go; a temporary folder (removed on stop) when absent. */
  stateDir?: string;
  ip?: string;
  /** 0 or absent: a free port. */
  port?: number;
  /** A random 32-byte token when absent. */
  token?: string;
  /** TCP_NODELAY on the kernel websocket (default true); false only to measure what Nagle costs. */
  nodelay?: boolean;
  /** Interpreter with jupyter_server and ipykernel (default /usr/bin/python3). */
  python?: string;
  readyTimeoutMs?: number;
  logger?: Logger;
  /** `sandbox` (default): every kernel in the OS sandbox; `none` only when configured knowingly (execution.isolation). */
  isolation?: 'sandbox' | 'none';
  /** Bounds of a sandboxed kernel's cgroup (config.limits). */
  sandboxLimits?: SandboxLimits;
}

/** config.limits' defaults. */
const defaultSandboxLimits: SandboxLimits = { memoryMb: 4096, maxProcesses: defaultMaxProcesses };

export interface RunningJupyterServer {
  /** Base URL, e.g. http://127.0.0.1:8888/ */
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  readonly stateDir: string;
  /** Asks the server to shut its kernels down and exit; kills it if it does not within a few seconds. */
  stop(): Promise<void>;
}

export class JupyterNotInstalledError extends Error {
  constructor(detail: string) {
    super(`Jupyter Server is not usable: ${detail}; ${aptHint}`);
    this.name = 'JupyterNotInstalledError';
  }
}

/** Throws JupyterNotInstalledError naming the apt packages when the interpreter lacks jupyter_server or ipykernel. */
export function checkJupyterInstalled(python = defaultKernelPython): void {
  const probe = spawnSync(python, ['-c', 'import jupyter_server, ipykernel; print(jupyter_server.__version__)'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.error) throw new JupyterNotInstalledError(`${python} cannot be run (${probe.error.message})`);
  if (probe.status !== 0) {
    throw new JupyterNotInstalledError(`${python} cannot import jupyter_server and ipykernel (${probe.stderr.trim().split('\n').pop() ?? ''})`);
  }
}

export async function startJupyterServer(options: JupyterServerOptions): Promise<RunningJupyterServer> {
  const python = options.python ?? defaultKernelPython;
  checkJupyterInstalled(python);
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'pyexec-jupyter-'));
  const removeStateDir = () => ownsStateDir && rmSync(stateDir, { recursive: true, force: true });
  const logger = options.logger ?? silentLogger;
  let sandboxes: JupyterSandboxes | null = null;
  try {
    if (options.isolation === 'none') logger.warn('execution.isolation is none: Jupyter kernels run WITHOUT the OS sandbox (no namespaces, no network policy, no Landlock)');
    else sandboxes = await openJupyterSandboxes({ modes: options.modes, python, stateDir, limits: options.sandboxLimits ?? defaultSandboxLimits, logger });
  } catch (error) {
    removeStateDir();
    throw error;
  }
  const folders = prepareStateDir(stateDir, options.modes, python, sandboxes?.modes);
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port || (await freePort(ip));
  const token = options.token ?? randomBytes(32).toString('hex');
  const url = `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}/`;

  const child = spawn(python, serverArguments(ip, port, options.rootDir, sandboxes !== null), {
    env: serverEnvironment(folders, token, options.nodelay ?? true),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = collectLog(child, logger);
  const stop = async () => {
    await stopServer(child, removeStateDir);
    await sandboxes?.close();
  };
  try {
    await waitUntilReady(url, token, child, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\nserver log:\n${log.tail()}`);
  }
  logger.info({ url, pid: child.pid }, 'jupyter server ready');
  return { url, token, pid: child.pid ?? -1, stateDir, stop };
}

interface StateFolders {
  data: string;
  config: string;
  runtime: string;
  ipython: string;
}

function prepareStateDir(
  stateDir: string,
  modes: Record<string, ExecutionModeConfig>,
  python: string,
  sandboxes: ReadonlyMap<string, JupyterModeSandbox> | undefined,
): StateFolders {
  const folders = {
    data: join(stateDir, 'data'),
    config: join(stateDir, 'config'),
    runtime: join(stateDir, 'runtime'),
    ipython: join(stateDir, 'ipython'),
  };
  for (const folder of Object.values(folders)) mkdirSync(folder, { recursive: true, mode: 0o700 });
  writeKernelspecs(folders.data, modes, { python, sandboxes });
  return folders;
}

function serverArguments(ip: string, port: number, rootDir: string, sandboxed: boolean): string[] {
  const args = [
    '-m',
    'jupyter_server',
    `--config=${serverConfigFile}`,
    `--ServerApp.ip=${ip}`,
    `--ServerApp.port=${port}`,
    '--ServerApp.port_retries=0',
    `--ServerApp.root_dir=${resolve(rootDir)}`,
  ];
  if (sandboxed) args.push('--KernelManager.transport=ipc');
  // Jupyter refuses to run as root unless told; containers and CI often are root.
  if (process.getuid?.() === 0) args.push('--ServerApp.allow_root=True');
  return args;
}

function serverEnvironment(folders: StateFolders, token: string, nodelay: boolean): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    inheritedVariables.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])),
  );
  return {
    ...inherited,
    JUPYTER_PATH: folders.data,
    JUPYTER_DATA_DIR: folders.data,
    JUPYTER_CONFIG_DIR: folders.config,
    JUPYTER_RUNTIME_DIR: folders.runtime,
    IPYTHONDIR: folders.ipython,
    PYEXEC_JUPYTER_TOKEN: token,
    PYEXEC_JUPYTER_NODELAY: nodelay ? '1' : '0',
    PYTHONUNBUFFERED: '1',
  };
}

function collectLog(child: ChildProcess, logger: Logger): { tail: () => string } {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 50) lines.shift();
      logger.debug({ jupyter: line }, 'jupyter server');
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { tail: () => lines.join('\n') };
}

async function waitUntilReady(url: string, token: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`jupyter server exited before it was ready (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const response = await fetch(new URL('api/status', url), { headers: { Authorization: `token ${token}` } });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`jupyter server did not answer at ${url} within ${timeoutMs} ms`);
}

async function stopServer(child: ChildProcess, cleanUp: () => void): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killTimer);
  }
  cleanUp();
}

function freePort(host: string): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}
