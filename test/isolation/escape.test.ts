/**
 * Escape and damage: killing the fork server or the executor, writing the
 * fork server's memory through /proc/<pid>/mem, setsid children outliving
 * the execution and rewriting the next one's results, files written outside
 * the execution folder (host /tmp, the checkout's harness, the service's
 * HOME), a matplotlibrc planted for later executions. Each checked from
 * outside: the processes we started are alive and the same, no marked
 * process survives, no planted file exists where it could matter, the next
 * execution's results are its own.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessPath } from '../../adapters/kernels/local/harness-protocol.ts';
import { eventually, forkServers, nameProcessCode, newMarker, processesMarked } from '../support/processes.ts';
import { listing, startRig, type Rig } from './rig.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
  // Both modes' fork servers are up before any attack.
  await rig.run('results = {}');
}, 120_000);
afterAll(async () => rig?.close());

const harnessFolder = dirname(harnessPath);
/** The harness folder's files hashed together: the entry point and the library modules every job imports. */
function harnessDigest(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(harnessFolder).filter((file) => file.endsWith('.py')).sort()) hash.update(name).update(readFileSync(join(harnessFolder, name)));
  return hash.digest('hex');
}

async function stillServing(rig: Rig): Promise<void> {
  const { result } = await rig.run('import epics\nresults = {"ok": True}\ntry:\n    epics.caput("SR:MAG:SET", 3.0)\nexcept PermissionError as exc:\n    results["refused"] = type(exc).__name__');
  expect(result.executor).toBe(rig.kernel.name);
  expect(result.results).toEqual({ ok: true, refused: 'ControlSystemWriteRefused' });
}

describe('escape and damage (warm)', () => {
  it('the fork server and the executor survive kill(getppid()), kill(1) and killing every visible pid', async () => {
    const servers = forkServers();
    expect(servers.length).toBeGreaterThan(0);
    const code = [
      'import os, signal',
      'results = {}',
      'for target in [os.getppid(), 1] + [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:',
      '    try:',
      '        os.kill(target, signal.SIGKILL)',
      '        results[str(target)] = "killed"',
      '    except OSError as exc:',
      '        results[str(target)] = exc.strerror',
      'try:',
      '    os.kill(-1, signal.SIGKILL)',
      'except OSError:',
      '    pass',
    ].join('\n');
    await rig.run(code);
    expect(forkServers()).toEqual(servers);
    await stillServing(rig);
    expect(forkServers()).toEqual(servers);
  });

  it('no process writes the fork server\'s (or another process\'s) memory through /proc/<pid>/mem', async () => {
    const servers = forkServers();
    const code = [
      'import os',
      'results = {}',
      'for pid in [os.getppid()] + [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:',
      '    try:',
      '        maps = open("/proc/%d/maps" % pid).read().splitlines()',
      '        start = int(next(line for line in maps if "rw-p" in line).split("-")[0], 16)',
      '        with open("/proc/%d/mem" % pid, "r+b", buffering=0) as mem:',
      '            mem.seek(start)',
      '            mem.write(b"\\xcc" * 64)',
      '        results[str(pid)] = "written"',
      '    except Exception as exc:',
      '        results[str(pid)] = repr(exc)',
    ].join('\n');
    const { result } = await rig.run(code);
    expect(Object.values(result.results ?? {})).not.toContain('written');
    expect(forkServers()).toEqual(servers);
    await stillServing(rig);
  });

  coldAndWarm(() => rig);
});

/** What must hold for the cold path too (its own sandbox per execution). */
function coldAndWarm(current: () => Rig): void {
  it('setsid children do not survive the execution, nor rewrite the next execution\'s results', async () => {
    const marker = newMarker();
    const code = [
      nameProcessCode(marker),
      'import glob, os, subprocess, time',
      `subprocess.Popen(["setsid", "sleep", "600", "${marker}"])`,
      'if os.fork() == 0:',
      '    os.setsid()',
      '    if os.fork() == 0:',
      '        time.sleep(1.5)',
      '        for folder in glob.glob("/pyexec/work/*") + glob.glob(os.path.dirname(os.getcwd()) + "/*"):',
      '            try:',
      '                open(os.path.join(folder, "results.json"), "w").write("{\\"hijacked\\": true}")',
      '            except OSError:',
      '                pass',
      '        time.sleep(600)',
      '    os._exit(0)',
      'results = {"planted": True}',
    ].join('\n');
    await current().run(code);
    expect(await eventually(() => processesMarked(marker).length === 0, 3000)).toBe(true);
    const { job, result } = await current().run('import time\ntime.sleep(2.5)\nresults = {"mine": True}');
    expect(result.results).toEqual({ mine: true });
    expect(JSON.parse(readFileSync(join(job.folder, 'results.json'), 'utf8'))).toEqual({ mine: true });
    expect(processesMarked(marker)).toEqual([]);
  });

  it('nothing is written outside the execution folder: host /tmp, the checkout, the service HOME, other slots', async () => {
    const marker = newMarker();
    const harnessBefore = harnessDigest();
    const homeBefore = listing(current().serviceHome);
    const targets = [
      `/tmp/${marker}`,
      `${tmpdir()}/${marker}`,
      harnessPath,
      join(harnessFolder, 'pyexec_code.py'),
      '/pyexec/harness/pyexec_harness.py',
      '/pyexec/harness/pyexec_code.py',
      '/pyexec/lib/pyexec_confine.py',
      `${current().serviceHome}/${marker}`,
      `/pyexec/work/${marker}`,
      `/pyexec/scratch/${marker}`,
      `/pyexec/channels/${marker}`,
      `/etc/${marker}`,
      `/usr/lib/python3/dist-packages/${marker}.py`,
    ];
    const code = [
      'import os',
      'results = {}',
      `for path in ${JSON.stringify(targets)}:`,
      '    try:',
      '        with open(path, "a") as handle:',
      `            handle.write("${marker}")`,
      '        results[path] = "written"',
      '    except OSError as exc:',
      '        results[path] = exc.strerror',
    ].join('\n');
    const { result } = await current().run(code);
    // /tmp inside is the execution's private tmpfs (private-tmp.test.ts); the host's stays untouched.
    expect(Object.entries(result.results ?? {}).filter(([, outcome]) => outcome === 'written')).toEqual([[`/tmp/${marker}`, 'written']]);
    expect(harnessDigest()).toBe(harnessBefore);
    expect(existsSync(join(tmpdir(), marker))).toBe(false);
    expect(listing(current().serviceHome)).toEqual(homeBefore);
    await stillServing(current());
  });

  it('a matplotlibrc planted for later executions is seen by none', async () => {
    const plant = [
      'import os',
      'results = {}',
      'for folder in [os.environ["MPLCONFIGDIR"], "/tmp/matplotlib", os.path.expanduser("~/.config/matplotlib"), "/tmp/pyexec-matplotlib"]:',
      '    try:',
      '        os.makedirs(folder, exist_ok=True)',
      '        open(os.path.join(folder, "matplotlibrc"), "w").write("lines.linewidth: 42\\n")',
      '        results[folder] = "planted"',
      '    except OSError as exc:',
      '        results[folder] = exc.strerror',
    ].join('\n');
    await current().run(plant);
    const probe = 'import matplotlib, os\nresults = {"linewidth": matplotlib.rcParams["lines.linewidth"], "config": os.listdir(os.environ["MPLCONFIGDIR"])}';
    const { result } = await current().run(probe);
    expect(result.results).toEqual({ linewidth: 1.5, config: [] });
    expect(existsSync(join(tmpdir(), 'pyexec-matplotlib', 'matplotlibrc'))).toBe(false);
  });
}

describe('escape and damage (cold)', () => {
  let cold: Rig;
  beforeAll(async () => {
    cold = await startRig({ warm: false });
  }, 120_000);
  afterAll(async () => cold?.close());
  coldAndWarm(() => cold);
});
