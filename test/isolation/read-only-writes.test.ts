/**
 * Read-only holds outside the kernel: every pyepics write path the old
 * Python-level guard let through, tried from a read-only execution against
 * real Channel Access servers. The write-side server (`ioc`) must log no
 * write at all: the read-only mode's sandbox reaches only the read-only
 * gateway, which refuses (and logs) what gets that far. And the allow-list
 * does let reads through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, type Rig } from './rig.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
}, 120_000);
afterAll(async () => rig?.close());

/** Points pyepics at the writable server directly, as an attacker who knows its address would. */
const aimAtIoc = () => `import os\nos.environ["EPICS_CA_NAME_SERVERS"] = "127.0.0.1:${rig.ioc.port}"\n`;
const tolerant = (body: string) => `results = {}\ntry:\n${body.split('\n').map((line) => `    ${line}`).join('\n')}\nexcept BaseException as exc:\n    results["error"] = repr(exc)\n`;

describe('the read-only mode against Channel Access', () => {
  it('reads through the allow-list to the allowed endpoint (the read-only gateway)', async () => {
    const { result } = await rig.run('import epics\nresults = {"current": epics.caget("SR:C01:CURRENT", timeout=10)}');
    expect(result.error, JSON.stringify(result)).toBeUndefined();
    expect(result.results).toEqual({ current: 402.5 });
    expect(rig.gateway.events.some((event) => event.kind === 'channel' && event.pv === 'SR:C01:CURRENT')).toBe(true);
  });

  const attacks: Record<string, () => string> = {
    'epics.caput': () => 'import epics\nresults["put"] = epics.caput("SR:MAG:SET", 9.0, wait=True, timeout=5)',
    'epics.ca.sg_put': () =>
      'from epics import ca\nchid = ca.create_channel("SR:MAG:SET", connect=True)\ngid = ca.sg_create()\nca.sg_put(gid, chid, 9.0)\nca.sg_block(gid, 5)',
    'libca.ca_array_put through ctypes': () =>
      [
        'import ctypes, time',
        'from epics import ca',
        'chid = ca.create_channel("SR:MAG:SET", connect=True)',
        // Past the guard's wrapper to the library itself.
        'raw = vars(ca.libca).get("_library", ca.libca)',
        'raw.ca_array_put(6, 1, chid, (ctypes.c_double * 1)(9.0))',
        'raw.ca_flush_io()',
        'time.sleep(1)',
        'results["put"] = "sent"',
      ].join('\n'),
    'the guard removed from sys.meta_path': () =>
      'import sys\nsys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]\nfor name in [n for n in sys.modules if n.startswith("epics")]:\n    del sys.modules[name]\nimport epics\nresults["put"] = repr(epics.caput("SR:MAG:SET", 9.0, wait=True, timeout=5))',
    'epics dropped from sys.modules and imported again': () =>
      'import importlib, sys, epics\nfor name in [n for n in sys.modules if n.startswith("epics")]:\n    del sys.modules[name]\nsys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]\nepics = importlib.import_module("epics")\nresults["put"] = repr(epics.caput("SR:MAG:SET", 9.0, wait=True, timeout=5))',
    'a module file written and imported': () =>
      [
        'import os, sys, time',
        'open("writer.py", "w").write("import ctypes\\nfrom epics.ca import find_libca\\nlib = ctypes.CDLL(find_libca())\\n")',
        'sys.path.insert(0, os.getcwd())',
        'import writer, ctypes',
        'from epics import ca',
        'chid = ca.create_channel("SR:MAG:SET", connect=True)',
        'writer.lib.ca_array_put(6, 1, chid, (ctypes.c_double * 1)(9.0))',
        'writer.lib.ca_flush_io()',
        'time.sleep(1)',
        'results["put"] = "sent"',
      ].join('\n'),
    'multiprocessing with the spawn start method': () =>
      'import multiprocessing as mp\nctx = mp.get_context("spawn")\np = ctx.Process(target=__import__("epics").caget, args=("SR:MAG:SET",))\np.start(); p.join(20)\nimport subprocess, sys\nresults["spawned"] = subprocess.run([sys.executable, "-c", "import epics; print(epics.caput(\'SR:MAG:SET\', 9.0, wait=True, timeout=5))"], capture_output=True, text=True, timeout=30).stdout',
  };

  // Attacks that get past the Python-level guard (what stops them is the network policy and the gateway).
  const pastTheGuard = new Set(['libca.ca_array_put through ctypes', 'the guard removed from sys.meta_path', 'epics dropped from sys.modules and imported again', 'a module file written and imported']);

  for (const [label, attack] of Object.entries(attacks)) {
    it(`no write reaches the writable server: ${label}, aimed at the gateway and at the server itself`, async () => {
      for (const prefix of ['', aimAtIoc()]) {
        const { result } = await rig.run(`${prefix}${tolerant(attack())}`, { timeout_seconds: 40 });
        // The Python-level guard is not what stops these: the write is attempted for real.
        if (pastTheGuard.has(label)) expect(JSON.stringify(result.results)).not.toContain('ControlSystemWriteRefused');
      }
      expect(rig.ioc.writes).toEqual([]);
      expect(rig.ioc.events).toEqual([]);
      expect(rig.gateway.writes.every((write) => !write.applied)).toBe(true);
    }, 120_000);
  }

  it('control: the same raw libca write from the write mode reaches the writable server', async () => {
    const { result } = await rig.run(tolerant(attacks['libca.ca_array_put through ctypes']?.() ?? ''), {
      mode: 'write_access',
      allows_writes: true,
    });
    expect(result.results).toEqual({ put: 'sent' });
    await expect.poll(() => rig.ioc.writes.map((write) => [write.pv, write.value, write.applied])).toEqual([['SR:MAG:SET', 9, true]]);
  }, 60_000);
});
