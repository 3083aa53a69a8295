/** What the local kernel does beyond the contract: interpreter choice, environment, fork server life, fallback. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecuteJob } from '../../protocol/internal.ts';
import { harnessPath } from '../../adapters/kernels/local/harness-protocol.ts';
import { createLocalKernel, resolvePython, scrubbedEnvironment } from '../../adapters/kernels/local/index.ts';
import { KernelUnavailableError, type Kernel } from '../../adapters/kernels/kernel.ts';
import { eventually, forkServers, nameProcessCode, newMarker, processesMarked } from '../support/processes.ts';
import { tempDir } from '../support/temp.ts';
import type { ContractSettings } from './kernel-contract.ts';
import { requireTestPython, testKernelOptions, testPython } from './local-python.ts';
import { executeJob } from '../support/fixtures.ts';

requireTestPython();

const root = tempDir('pyexec-local-kernel-');
// The sandbox's uid reads the fake epics package below it.
chmodSync(root.path, 0o755);
afterAll(() => root.remove());

const fakeEpicsDir = join(root.path, 'site');
mkdirSync(join(fakeEpicsDir, 'epics'), { recursive: true });
writeFileSync(
  join(fakeEpicsDir, 'epics', '__init__.py'),
  'def caput(pv, value):\n    open("epics_writes.log", "a").write(pv)\n    return 1\n',
);

function settings(environment: Record<string, string> = { PYTHONPATH: fakeEpicsDir }): ContractSettings {
  const mode = { environment };
  return {
    modes: { read_only: { ...mode, allows_writes: false }, write_access: { ...mode, allows_writes: true } },
    outputCapBytes: 10_000,
    memoryMb: 2048,
  };
}

let jobs = 0;
function newJob(code: string, overrides: Partial<ExecuteJob> = {}): ExecuteJob {
  jobs += 1;
  const folder = join(root.path, `job-${jobs}`);
  mkdirSync(folder);
  return executeJob(code, folder, { command_id: `local:${jobs}`, execution_id: `local-job-${String(jobs).padStart(4, '0')}`, timeout_seconds: 30, ...overrides });
}

describe('python interpreter resolution', () => {
  it('takes a virtualenv folder and uses its bin/python', async () => {
    const venv = join(root.path, 'venv');
    mkdirSync(join(venv, 'bin'), { recursive: true });
    symlinkSync(testPython, join(venv, 'bin', 'python'));
    expect(await resolvePython(venv)).toBe(join(venv, 'bin', 'python'));
  });

  it('names the setting when the configured interpreter does not exist', async () => {
    const missing = join(root.path, 'no-such-python');
    await expect(resolvePython(missing)).rejects.toThrow(KernelUnavailableError);
    await expect(resolvePython(missing)).rejects.toThrow(/execution\.local\.python_env_path = ".*no-such-python"/);
  });

  it('skips a python3 on PATH that cannot import numpy', async () => {
    const broken = join(root.path, 'broken-bin');
    const linked = join(root.path, 'linked-bin');
    mkdirSync(broken);
    mkdirSync(linked);
    writeFileSync(join(broken, 'python3'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(broken, 'python3'), 0o755);
    symlinkSync(testPython, join(linked, 'python3'));
    expect(await resolvePython(null, `${broken}:${linked}`)).toBe(join(linked, 'python3'));
  });
});

describe('scrubbed environment', () => {
  it('keeps only the allow-list, sets HOME and the matplotlib backend, adds the mode environment', () => {
    const parent = {
      PATH: '/usr/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
      OPENAI_API_KEY: 'sk-x',
      NATS_CREDS: '/secret',
      PYTHONPATH: '/somewhere',
    };
    const environment = scrubbedEnvironment('/exec/folder', { EPICS_CA_ADDR_LIST: '10.0.0.1' }, parent);
    expect(environment).toMatchObject({
      PATH: '/usr/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
      HOME: '/exec/folder',
      MPLBACKEND: 'Agg',
      EPICS_CA_ADDR_LIST: '10.0.0.1',
    });
    expect(Object.keys(environment).sort()).toEqual(
      ['EPICS_CA_ADDR_LIST', 'HOME', 'LANG', 'LC_ALL', 'MPLBACKEND', 'MPLCONFIGDIR', 'PATH', 'TZ'].sort(),
    );
  });
});

describe.each([false, true])('local kernel (warm: %s)', (warm) => {
  let kernel: Kernel;
  beforeAll(() => {
    kernel = createLocalKernel(testKernelOptions(settings(), { warm, killGraceMs: 500 }));
  });
  afterAll(async () => kernel.close());

  it('refuses writes when the job claims them but its mode does not allow them', async () => {
    const job = newJob('import epics\nepics.caput("X", 1)\nresults = {}', { allows_writes: true });
    const result = await kernel.execute(job);
    expect(result.status).toBe('runtime_error');
    expect(result.error?.type).toBe('ControlSystemWriteRefused');
  });

  it('rejects an invalid job naming the field', async () => {
    const job = { ...newJob('results = {}'), timeout_seconds: -1 };
    await expect(kernel.execute(job)).rejects.toThrow(/job\.timeout_seconds/);
  });

  it('refuses an unknown execution mode as unavailable', async () => {
    await expect(kernel.execute(newJob('results = {}', { mode: 'no_such_mode' }))).rejects.toThrow(
      /execution mode "no_such_mode" is not configured/,
    );
  });

  it('kills the code when cancelled and says that it had started', async () => {
    const marker = newMarker();
    const job = newJob(`${nameProcessCode(marker)}\nimport time\ntime.sleep(60)`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled by test')), 1500);
    const result = await kernel.execute(job, controller.signal);
    expect(result).toMatchObject({ status: 'cancelled', code_started: true });
    expect(await eventually(() => processesMarked(marker).length === 0)).toBe(true);
  });

  it('names its executor', async () => {
    const result = await kernel.execute(newJob('results = {"x": 1}'));
    expect(result.executor).toBe(warm ? 'local-warm' : 'local-cold');
  });
});

/** The fork server (as forkServers() names it) that `pid` descends from, or null. */
function serverOf(pid: number): number | null {
  const servers = forkServers();
  for (let current = pid; current > 1; ) {
    if (servers.includes(current)) return current;
    const stat = readFileSync(`/proc/${current}/stat`, 'utf8');
    current = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return null;
}

describe('warm local kernel: fork server life', () => {
  it('replaces a dead fork server', async () => {
    const kernel = createLocalKernel(testKernelOptions(settings(), { warm: true }));
    // Sandboxed, HOME is the execution's slot folder: its name is the slot's.
    const slotOf = 'import os\nresults = {"home": os.environ["HOME"]}';
    try {
      const first = await kernel.execute(newJob(slotOf));
      expect(first.executor).toBe('local-warm');
      // Every mode's server up (not one still starting: a server killed while it starts counts as
      // failing to start, and is retried only after a cooldown).
      const isReady = () => kernel.ready?.().then(() => true, () => false);
      await expect.poll(isReady, { timeout: 60_000, interval: 200 }).toBe(true);
      const before = forkServers();
      expect(before.length).toBe(2);
      for (const pid of before) process.kill(pid, 'SIGKILL');
      // A job sent while a killed server is still going down may run on its spare (the namespace
      // dies a few milliseconds after the signal), and die with it: the kernel's failure, retried
      // like any infrastructure error; or it runs on a replacement.
      const during = await kernel.execute(newJob(slotOf));
      expect(during.executor).toBe('local-warm');
      if (during.status !== 'succeeded') expect(during).toMatchObject({ status: 'infrastructure', error: { type: 'KernelLost' } });
      // Dead servers are replaced at the next job or readiness check, every mode's.
      const replaced = async () => {
        await kernel.ready?.().catch(() => undefined);
        const now = forkServers();
        return now.length === before.length && !now.some((pid) => before.includes(pid));
      };
      await expect.poll(replaced, { timeout: 30_000, interval: 200 }).toBe(true);
      const result = await kernel.execute(newJob(slotOf));
      expect(result.status, result.error?.message).toBe('succeeded');
      expect(result.executor).toBe('local-warm');
      // The first slot may still be torn down (its cgroup killed, its folders removed) while the
      // replacement's first spare takes its own: the replacement never reuses a slot name.
      expect(result.results?.home).not.toBe(first.results?.home);
      expect(forkServers().some((pid) => before.includes(pid))).toBe(false);
    } finally {
      await kernel.close();
    }
    expect(forkServers()).toEqual([]);
  });

  it('reports a fork server that dies under the code as the kernel failing: a read is retried, a write is lost', async () => {
    const kernel = createLocalKernel(testKernelOptions(settings(), { warm: true }));
    const killServerDuring = async (overrides: Partial<ExecuteJob>) => {
      const marker = newMarker();
      const running = kernel.execute(newJob(`${nameProcessCode(marker)}\nimport time\ntime.sleep(30)\nresults = {}`, overrides));
      expect(await eventually(() => processesMarked(marker).length > 0, 30_000)).toBe(true);
      const server = serverOf(processesMarked(marker)[0] ?? 0);
      expect(server, 'the code runs in a forked child of a fork server').not.toBeNull();
      process.kill(server ?? 0, 'SIGKILL');
      const result = await running;
      expect(result.executor).toBe('local-warm');
      expect(await eventually(() => processesMarked(marker).length === 0)).toBe(true);
      return result;
    };
    try {
      await expect.poll(() => kernel.ready?.().then(() => true, () => false), { timeout: 60_000, interval: 200 }).toBe(true);
      const read = await killServerDuring({ mode: 'read_only', allows_writes: false });
      expect(read).toMatchObject({ status: 'infrastructure', error: { type: 'KernelLost' } });
      const write = await killServerDuring({ mode: 'write_access', allows_writes: true });
      expect(write).toMatchObject({ status: 'lost', error: { type: 'KernelLost', message: expect.stringContaining('whether its writes happened is unknown') } });
    } finally {
      await kernel.close();
    }
  }, 120_000);

  it('falls back to the cold path when the fork server cannot start', async () => {
    const poisoned = join(root.path, 'poisoned-site');
    mkdirSync(poisoned);
    // The server preloads numpy; this one ends the interpreter instead.
    writeFileSync(join(poisoned, 'numpy.py'), 'raise SystemExit(3)\n');
    const kernel = createLocalKernel(testKernelOptions(settings({ PYTHONPATH: poisoned }), { warm: true }));
    try {
      const result = await kernel.execute(newJob('results = {"x": 1}'));
      expect(result.status).toBe('succeeded');
      expect(result.executor).toBe('local-cold');
    } finally {
      await kernel.close();
    }
  });
});

describe("the harness's library modules (as a Jupyter kernel imports them)", () => {
  it('guards an epics module that was imported before the guard', () => {
    const script = [
      'import sys',
      `sys.path[:0] = [${JSON.stringify(join(harnessPath, '..'))}, ${JSON.stringify(fakeEpicsDir)}]`,
      'import epics, pyexec_guard, pyexec_serialise',
      'pyexec_guard.install_write_guard()',
      'try:',
      '    epics.caput("X", 1)',
      'except pyexec_guard.ControlSystemWriteRefused as refused:',
      '    print("refused:", isinstance(refused, PermissionError))',
      'print(pyexec_serialise.to_jsonable({"s": {2, 1}, "c": 1j}))',
    ].join('\n');
    const output = execFileSync(testPython, ['-c', script], {
      cwd: root.path,
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    expect(output).toBe("refused: True\n{'s': [1, 2], 'c': {'real': 0.0, 'imag': 1.0}}\n");
  });
});
