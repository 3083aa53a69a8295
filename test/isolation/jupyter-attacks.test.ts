/**
 * The attack classes of issue 11 through the real Jupyter executor path:
 * each kernel of the warm pool runs in its mode's sandbox. Checked from
 * outside the kernel: what the Channel Access servers logged, who connected
 * to a listener, which processes exist, which files appeared, and every byte
 * the execution returned or left in its folder.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, nameProcessCode, newMarker, processesMarked } from '../support/processes.ts';
import { startJupyterRig, type JupyterRig } from './jupyter-rig.ts';
import { everythingReturned, listener, secrets } from './rig.ts';

let rig: JupyterRig;
beforeAll(async () => {
  rig = await startJupyterRig();
}, 180_000);
afterAll(async () => rig?.close());

/** Each step in its own try: one refused step does not hide the others. */
const steps = (parts: string[]) =>
  ['results = {}', ...parts.flatMap((part, index) => ['try:', ...part.split('\n').map((line) => `    ${line}`), 'except BaseException as exc:', `    results["step${index}"] = repr(exc)`])].join('\n');

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('Jupyter kernels in the sandbox, attacked', () => {
  it('no secret of the service, its HOME, its config, its state, the Jupyter server or another execution reaches the output', async () => {
    const reads = [
      'import os\nfor pid in [p for p in os.listdir("/proc") if p.isdigit()]:\n    for name in ("environ", "cmdline"):\n        try:\n            results["proc-%s-%s" % (pid, name)] = open("/proc/%s/%s" % (pid, name), "rb").read().decode("latin1")\n        except OSError as exc:\n            results["proc-%s-%s" % (pid, name)] = repr(exc)',
      `results["home"] = open(${JSON.stringify(join(rig.serviceHome, '.ssh', 'id_ed25519'))}).read()`,
      'import os\nresults["home-user"] = open(os.path.expanduser("~/.ssh/id_ed25519")).read()',
      `results["config"] = open(${JSON.stringify(rig.configPath)}).read()`,
      `results["state"] = open(${JSON.stringify(join(rig.stateDir, 'kv.json'))}).read()`,
      `results["sibling"] = open(${JSON.stringify(join(rig.siblingFolder, 'results.json'))}).read()`,
      `import os\nruntime = ${JSON.stringify(join(rig.server.stateDir, 'runtime'))}\nresults["runtime"] = [open(os.path.join(runtime, n)).read() for n in os.listdir(runtime)]`,
      'import os\nresults["env"] = dict(os.environ)',
    ];
    const { job, result } = await rig.run(steps(reads));
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const returned = everythingReturned(result, job.folder);
    for (const secret of [...Object.values(secrets), rig.server.token]) expect(returned).not.toContain(secret);
    // The kernel saw its own sandbox: nothing of the service's processes.
    expect(returned).not.toContain('jupyter_server');
  });

  it('reads through the allow-list to the read-only gateway', async () => {
    const { result } = await rig.run('import epics\nresults = {"current": epics.caget("SR:C01:CURRENT", timeout=10)}');
    expect(result.results).toEqual({ current: 402.5 });
  });

  it('no write from a read-only kernel reaches the writable server: caput, sg_put, ctypes libca, guard removed, module re-imported, multiprocessing spawn', async () => {
    const attacks = [
      'import epics\nresults["caput"] = epics.caput("SR:MAG:SET", 9.0, wait=True, timeout=5)',
      'from epics import ca\nchid = ca.create_channel("SR:MAG:SET", connect=True)\ngid = ca.sg_create()\nca.sg_put(gid, chid, 9.0)\nca.sg_block(gid, 5)',
      'import ctypes, time\nfrom epics import ca\nchid = ca.create_channel("SR:MAG:SET", connect=True)\nraw = vars(ca.libca).get("_library", ca.libca)\nraw.ca_array_put(6, 1, chid, (ctypes.c_double * 1)(9.0))\nraw.ca_flush_io()\ntime.sleep(1)',
      'import importlib, sys\nsys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]\nfor name in [n for n in sys.modules if n.startswith("epics")]:\n    del sys.modules[name]\nepics = importlib.import_module("epics")\nresults["reimported"] = repr(epics.caput("SR:MAG:SET", 9.0, wait=True, timeout=5))',
      'import subprocess, sys\nresults["spawned"] = subprocess.run([sys.executable, "-c", "import epics; print(epics.caput(\'SR:MAG:SET\', 9.0, wait=True, timeout=5))"], capture_output=True, text=True, timeout=30).stdout',
      'import multiprocessing as mp\nctx = mp.get_context("spawn")\np = ctx.Process(target=__import__("epics").caput, args=("SR:MAG:SET", 9.0))\np.start(); p.join(20)',
    ];
    for (const aim of ['', `import os\nos.environ["EPICS_CA_NAME_SERVERS"] = "127.0.0.1:${rig.ioc.port}"\n`]) {
      const { result } = await rig.run(`${aim}${steps(attacks)}`, { timeout_seconds: 120 });
      expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    }
    expect(rig.ioc.writes).toEqual([]);
    expect(rig.ioc.events).toEqual([]);
    expect(rig.gateway.writes.every((write) => !write.applied)).toBe(true);
  }, 300_000);

  it('a raw socket reaches no endpoint outside the allow-list (a listener, the Jupyter server)', async () => {
    const outside = await listener();
    try {
      const port = new URL(rig.server.url).port;
      const { result } = await rig.run(
        steps([
          `import socket\nsocket.create_connection(("127.0.0.1", ${outside.port}), timeout=3).close()\nresults["listener"] = "connected"`,
          `import socket\nsocket.create_connection(("127.0.0.1", ${port}), timeout=3).close()\nresults["jupyter"] = "connected"`,
        ]),
      );
      expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
      expect(JSON.stringify(result.results)).not.toContain('"connected"');
      expect(outside.connections).toBe(0);
    } finally {
      await outside.close();
    }
  });

  it('the Jupyter server and the executor survive kill(getppid()), kill(1) and kill(-1), and the next execution runs', async () => {
    await rig.run(steps(['import os, signal\nos.kill(os.getppid(), signal.SIGKILL)', 'import os, signal\nos.kill(1, signal.SIGKILL)', 'import os, signal\nos.kill(-1, signal.SIGKILL)']));
    expect(isAlive(rig.server.pid)).toBe(true);
    const { result } = await rig.run('results = {"ok": True}');
    expect(result.results).toEqual({ ok: true });
  });

  it('no process the code started survives its kernel, setsid or not, and the next execution\'s results are its own', async () => {
    const marker = newMarker();
    const survivor = [
      nameProcessCode(marker),
      'import os, time',
      'if os.fork() == 0:',
      '    os.setsid()',
      '    time.sleep(3)',
      '    open("results.json", "w").write("{\\"planted\\": true}")',
      '    time.sleep(600)',
      'results = {"forked": True}',
    ].join('\n');
    await rig.run(survivor);
    expect(await eventually(() => processesMarked(marker).length === 0, 20_000)).toBe(true);
    const { job, result } = await rig.run('import time\ntime.sleep(4)\nresults = {"mine": True}');
    expect(result.results).toEqual({ mine: true });
    expect(everythingReturned(result, job.folder)).not.toContain('planted');
  });

  it('/tmp is the kernel\'s own: a file planted there reaches no later execution, nor the host', async () => {
    const marker = newMarker();
    const { result: planted } = await rig.run(`import os\nopen("/tmp/${marker}", "w").write("planted")\nresults = {"tmp": os.listdir("/tmp")}`);
    expect(planted.status, JSON.stringify(planted.error)).toBe('succeeded');
    expect(planted.results?.tmp).toContain(marker);
    const { result: later } = await rig.run('import os\nresults = {"tmp": os.listdir("/tmp"), "shm": os.listdir("/dev/shm")}');
    expect(JSON.stringify(later.results)).not.toContain(marker);
    expect(existsSync(join(tmpdir(), marker))).toBe(false);
  });

  it('what forked children print reaches the output, through a pipe in the kernel\'s private /tmp that the host never sees', async () => {
    const marker = newMarker();
    const code = [
      'import multiprocessing, os, sys',
      'pid = os.fork()',
      'if pid == 0:',
      `    print("forked-${marker}")`,
      '    os._exit(0)',
      'os.waitpid(pid, 0)',
      'def child():',
      `    print("multiprocessing-${marker}")`,
      'process = multiprocessing.get_context("fork").Process(target=child)',
      'process.start()',
      'process.join()',
      'results = {"exit": process.exitcode}',
    ].join('\n');
    const { result } = await rig.run(code);
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.stdout).toContain(`forked-${marker}`);
    expect(result.stdout).toContain(`multiprocessing-${marker}`);
    expect(existsSync(join(tmpdir(), 'pyexec-forked-output'))).toBe(false);
  });

  it('writes nowhere outside its own folder: host /tmp, the service root, the checkout, the server state', async () => {
    const marker = newMarker();
    const targets = [join(tmpdir(), marker), join(rig.root, marker), join(process.cwd(), marker), join(rig.server.stateDir, marker), join(rig.siblingFolder, marker)];
    const { job, result } = await rig.run(steps(targets.map((target) => `open(${JSON.stringify(target)}, "w").write("x")`)));
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    for (const target of targets) expect(existsSync(target)).toBe(false);
    expect(existsSync(join(job.folder, marker))).toBe(false);
  });
});
