/**
 * Secrets: API keys and the NATS password in the executor's environment, the
 * config file, the state dir, the service's HOME, another execution's folder.
 * The attack reads every place they leaked from before (/proc/<pid>/environ
 * and cmdline of every process it can see, the paths themselves, a walk of
 * the whole file tree it can see) and returns it all; nothing planted may
 * show in any output or file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everythingReturned, secrets, startRig, type Rig } from './rig.ts';

describe.each([true, false])('local kernel (warm: %s)', (warm) => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ warm });
  }, 120_000);
  afterAll(async () => rig?.close());

  it('no planted secret reaches any output or file of the execution', async () => {
    const targets = [rig.configPath, `${rig.serviceHome}/.ssh/id_ed25519`, `${rig.stateDir}/kv.json`, `${rig.siblingFolder}/results.json`, '/proc/1/environ'];
    const code = [
      'import os',
      'found = {}',
      'def grab(path):',
      '    try:',
      '        with open(path, "rb") as handle:',
      '            found[path] = handle.read(1 << 20).decode("latin1")',
      '    except Exception as exc:',
      '        found[path] = repr(exc)',
      'for pid in [p for p in os.listdir("/proc") if p.isdigit()]:',
      '    for name in ("environ", "cmdline"):',
      '        grab("/proc/%s/%s" % (pid, name))',
      `for path in ${JSON.stringify(targets)}:`,
      '    grab(path)',
      'for folder, dirs, files in os.walk("/"):',
      '    if folder.startswith(("/proc", "/sys", "/usr", "/dev")):',
      '        dirs[:] = []',
      '        continue',
      '    for name in files:',
      '        grab(os.path.join(folder, name))',
      'found["environment"] = dict(os.environ)',
      'print(found)',
      'open("loot.txt", "w").write(repr(found))',
      'results = {"found": found}',
    ].join('\n');
    const { job, result } = await rig.run(code);
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    // The attack did look: it saw its own files, so an empty loot is not why nothing leaked.
    expect(Object.keys((result.results?.found ?? {}) as object).length).toBeGreaterThan(5);
    const returned = everythingReturned(result, job.folder);
    const leaked = Object.values(secrets).filter((value) => returned.includes(value));
    expect(leaked).toEqual([]);
  });
});
