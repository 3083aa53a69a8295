/**
 * What the tests of pyexec processes over NATS (distributed, observability,
 * audit stream) run against, beside a real nats-server or cluster: real
 * `pyexec` processes (`node bin/pyexec.js serve | executor ...`)
 * that can be killed with SIGKILL, paused with SIGSTOP and restarted. A fake
 * `epics` package logs every caget/caput to one file, so a test counts how
 * often code ran and how often it wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { traversableBySandbox } from './fake-epics.ts';
import { tempDir } from './temp.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(repoRoot, 'bin', 'pyexec.js');
const countingGenerator = fileURLToPath(new URL('./counting-generator.ts', import.meta.url));
export const testPython = '/usr/bin/python3';

const fakeEpics = `
import os

def _log(line):
    with open(os.environ["PYEXEC_TEST_EPICS_LOG"], "a") as handle:
        handle.write(line + "\\n")

def caget(pvname, **kwargs):
    _log("caget %s" % pvname)
    return 42.0

def caput(pvname, value, **kwargs):
    _log("caput %s %r" % (pvname, value))
    return 1
`;

/** A temporary folder with the config, the fake epics package and the logs. */
export class Site {
  readonly root: string;
  readonly configFile: string;
  readonly epicsLog: string;
  readonly generatorLog: string;
  private readonly remove: () => void;

  constructor(overrides: Record<string, unknown> = {}) {
    const dir = tempDir('pyexec-dist-');
    this.root = dir.path;
    this.remove = dir.remove;
    // The kernels' sandbox runs as another user: it reads the fake epics and writes the log in here.
    traversableBySandbox(this.root);
    this.configFile = join(this.root, 'pyexec.config.yaml');
    this.epicsLog = join(this.root, 'epics.log');
    this.generatorLog = join(this.root, 'generator.log');
    mkdirSync(join(this.root, 'site', 'epics'), { recursive: true });
    writeFileSync(join(this.root, 'site', 'epics', '__init__.py'), fakeEpics);
    writeFileSync(this.epicsLog, '');
    writeFileSync(this.generatorLog, '');
    const environment = { PYTHONPATH: join(this.root, 'site'), PYEXEC_TEST_EPICS_LOG: this.epicsLog };
    const config = {
      execution: {
        code_generator: 'counting',
        generators: { counting: { type: 'custom', module: countingGenerator, export: 'createCountingGenerator', options: { log: this.generatorLog } } },
        local: { python_env_path: testPython },
        // These tests are about orchestration (failover, clusters, roles): the fake epics logs every
        // call to one file of the site, which the OS sandbox rightly forbids. test/isolation covers the sandbox.
        isolation: 'none',
        modes: {
          read_only: { kernel_name: 'python3', allows_writes: false, environment },
          write_access: { kernel_name: 'python3', allows_writes: true, requires_approval: true, environment },
        },
      },
      control_system: { writes_enabled: true },
      retry: { command_timeout_seconds: 120, backoff_base_ms: 100, backoff_max_ms: 1_000 },
      service: { executions_root: join(this.root, 'executions'), log_level: 'warn' },
      ...overrides,
    };
    writeFileSync(this.configFile, stringify(config));
  }

  /** Lines of the fake epics log: `caget PV` / `caput PV VALUE`. */
  epicsCalls(): string[] {
    return readFileSync(this.epicsLog, 'utf8').split('\n').filter(Boolean);
  }

  count(line: string): number {
    return this.epicsCalls().filter((call) => call === line).length;
  }

  generations(executionId: string): number {
    return readFileSync(this.generatorLog, 'utf8').split('\n').filter((line) => line.startsWith(`generate ${executionId} `)).length;
  }

  dispose(): void {
    this.remove();
  }
}

// A process loads the whole service through tsx first: tens of seconds when two cores are shared by many.
const readyTimeoutMs = 120_000;

/** One `pyexec` process. */
export class PyexecProcess {
  private log = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-50_000)));
    child.stderr?.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-50_000)));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts `pyexec ARGS` in the site's folder and waits for its "ready" line. */
  static async start(name: string, site: Site, args: string[], env: Record<string, string> = {}): Promise<PyexecProcess> {
    if (!existsSync(testPython)) throw new Error(`${testPython} is needed: apt-get install python3`);
    const child = spawn(process.execPath, [cli, ...args, '--config', site.configFile], {
      cwd: site.root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new PyexecProcess(name, child);
    await started.waitFor(/: ready/, readyTimeoutMs);
    return started;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  output(): string {
    return this.log;
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    const started = Date.now();
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (!pattern.test(this.log)) {
      if (exitCode !== undefined) throw new Error(`${this.name} exited (${exitCode}) before printing ${pattern}:\n${this.log}`);
      if (Date.now() - started > timeoutMs) throw new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.log}`);
      await sleep(50);
    }
  }

  /** kill -9: no cleanup, no goodbye. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the graceful shutdown. */
  async terminate(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }
}

/** Runs `pyexec ARGS` to its end; returns exit code, stdout and stderr. */
export function runPyexec(site: Site, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args, '--config', site.configFile], {
      cwd: site.root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

