/**
 * /tmp and /dev/shm inside the sandbox are the execution's own: writable
 * (code that hardcodes /tmp works; multiprocessing gets its semaphores in
 * /dev/shm), size-limited, and gone with the execution. Attacked as a
 * channel: a file planted there must not reach a later execution, the host,
 * or the sandbox's shared /tmp the fork server sees (checked from outside
 * the planting process: another execution, the host file system, the fork
 * server's root through /proc); filling them must stop at the bound with a
 * clear error and leave the executor serving.
 */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateShmBytes, privateTmpBytes } from '../../adapters/sandbox/mode-sandbox.ts';
import { forkServers, newMarker } from '../support/processes.ts';
import { startRig, type Rig } from './rig.ts';

/** What a later execution finds of `marker` in its /tmp and /dev/shm. */
const lookFor = (marker: string) =>
  ['import os', 'results = {"found": [os.path.join(d, n) for d in ("/tmp", "/dev/shm") for n in os.listdir(d) if ' + JSON.stringify(marker) + ' in n]}'].join('\n');

function privateFolders(current: () => Rig): void {
  it('a file planted in /tmp or /dev/shm reaches no later execution, nor the host, nor the sandbox\'s shared /tmp', async () => {
    const marker = newMarker();
    const plant = [
      'import os, subprocess',
      'results = {}',
      'for folder in ("/tmp", "/dev/shm"):',
      `    with open(os.path.join(folder, "${marker}"), "w") as handle:`,
      '        handle.write("planted")',
      '    results[folder] = sorted(os.listdir(folder))',
      // A child that outlives the code would keep the mount alive if it could: it is killed with the execution.
      `subprocess.Popen(["sleep", "30"], start_new_session=True, stdout=subprocess.DEVNULL)`,
    ].join('\n');
    const { result: planted } = await current().run(plant);
    expect(planted.status, JSON.stringify(planted.error)).toBe('succeeded');
    expect(planted.results).toEqual({ '/tmp': [marker], '/dev/shm': [marker] });
    const { result: later } = await current().run(lookFor(marker));
    expect(later.results).toEqual({ found: [] });
    expect(existsSync(join(tmpdir(), marker))).toBe(false);
    expect(existsSync(join('/dev/shm', marker))).toBe(false);
    for (const server of forkServers()) {
      // The fork server's own /tmp (the sandbox's tmpfs), seen from outside.
      const shared = join('/proc', String(server), 'root', 'tmp');
      expect(readdirSync(shared).filter((name) => name.includes(marker))).toEqual([]);
    }
  });

  it('/tmp and /dev/shm stop at their bound with ENOSPC, and the executor keeps serving', async () => {
    const fill = [
      'import errno, os',
      'results = {}',
      `for folder, bound in (("/tmp", ${privateTmpBytes}), ("/dev/shm", ${privateShmBytes})):`,
      '    stats = os.statvfs(folder)',
      '    results[folder + " size"] = stats.f_blocks * stats.f_frsize',
      // Files just under RLIMIT_FSIZE each, until the file system refuses.
      '    for index in range(8):',
      '        fd = os.open(os.path.join(folder, "fill-%d" % index), os.O_WRONLY | os.O_CREAT)',
      '        try:',
      '            os.posix_fallocate(fd, 0, 400 * 1024 * 1024)',
      '        except OSError as exc:',
      '            results[folder] = errno.errorcode[exc.errno]',
      '            break',
      '        finally:',
      '            os.close(fd)',
      '    else:',
      '        results[folder] = "never refused"',
      '    for name in os.listdir(folder):',
      '        os.remove(os.path.join(folder, name))',
    ].join('\n');
    const { result } = await current().run(fill);
    expect(result.results).toEqual({
      '/tmp size': privateTmpBytes,
      '/tmp': 'ENOSPC',
      '/dev/shm size': privateShmBytes,
      '/dev/shm': 'ENOSPC',
    });
    const { result: after } = await current().run('import os\nresults = {"tmp": os.listdir("/tmp")}');
    expect(after.results).toEqual({ tmp: [] });
  });

  it('multiprocessing locks and queues work (their semaphores live in the private /dev/shm)', async () => {
    const code = [
      'import multiprocessing as mp',
      'def work(queue, lock):',
      '    with lock:',
      '        queue.put(21 * 2)',
      'queue, lock = mp.Queue(), mp.Lock()',
      'child = mp.get_context("fork").Process(target=work, args=(queue, lock))',
      'child.start()',
      'results = {"answer": queue.get(timeout=20)}',
      'child.join()',
    ].join('\n');
    const { result } = await current().run(code);
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.results).toEqual({ answer: 42 });
  });
}

describe('private /tmp and /dev/shm (warm)', () => {
  let warm: Rig;
  beforeAll(async () => {
    warm = await startRig();
    await warm.run('results = {}');
  }, 120_000);
  afterAll(async () => warm?.close());
  privateFolders(() => warm);
});

describe('private /tmp and /dev/shm (cold)', () => {
  let cold: Rig;
  beforeAll(async () => {
    cold = await startRig({ warm: false });
  }, 120_000);
  afterAll(async () => cold?.close());
  privateFolders(() => cold);
});
