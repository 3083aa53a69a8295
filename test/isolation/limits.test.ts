/**
 * Resource attacks bounded by the execution's cgroup and rlimits, checked
 * from outside: a libc fork() loop through ctypes (no audit hook sees it),
 * three children of 500 MB each past a 1 GB memory limit, posix_fallocate of
 * 2 GB. The executor keeps serving and nothing survives.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, nameProcessCode, newMarker, processesMarked } from '../support/processes.ts';
import { startRig, type Rig } from './rig.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ memoryMb: 1024 });
}, 120_000);
afterAll(async () => rig?.close());

describe('resource bounds', () => {
  it('bounds a libc fork() loop through ctypes and leaves no process behind', async () => {
    const marker = newMarker();
    const code = [
      nameProcessCode(marker),
      'import ctypes, os',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'forked = 0',
      'while forked < 1000:',
      '    pid = libc.fork()',
      '    if pid == 0:',
      '        libc.pause()',
      '        libc._exit(0)',
      '    if pid < 0:',
      '        break',
      '    forked += 1',
      'results = {"forked": forked}',
    ].join('\n');
    const { result } = await rig.run(code, { timeout_seconds: 30 });
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.results?.forked).toBeLessThan(64);
    expect(await eventually(() => processesMarked(marker).length === 0, 5000)).toBe(true);
  });

  it('kills children that together pass the memory limit of the execution', async () => {
    const code = [
      'import os, time',
      'children = []',
      'for index in range(3):',
      '    pid = os.fork()',
      '    if pid == 0:',
      '        block = b"x" * (500 * 1024 * 1024)',
      '        time.sleep(3)',
      '        open("survived-%d" % index, "w").write(str(len(block)))',
      '        os._exit(0)',
      '    children.append(pid)',
      'results = {"statuses": [os.waitpid(pid, 0)[1] for pid in children]}',
    ].join('\n');
    const { job, result } = await rig.run(code, { timeout_seconds: 60 });
    const survivors = readdirSync(job.folder).filter((name) => name.startsWith('survived-'));
    expect(survivors.length, JSON.stringify(result.results)).toBeLessThan(3);
  });

  it('refuses a 2 GB posix_fallocate and any file past the size limit', async () => {
    const code = [
      'import os',
      'results = {}',
      'for path in ["big", os.path.join(os.environ["TMPDIR"], "big")]:',
      '    fd = os.open(path, os.O_CREAT | os.O_WRONLY)',
      '    try:',
      '        os.posix_fallocate(fd, 0, 2 << 30)',
      '        results[path] = "allocated"',
      '    except OSError as exc:',
      '        results[path] = exc.strerror',
      '    os.close(fd)',
    ].join('\n');
    const { job, result } = await rig.run(code);
    expect(Object.values(result.results ?? {})).not.toContain('allocated');
    for (const name of readdirSync(job.folder)) expect(statSync(join(job.folder, name)).size).toBeLessThan(1 << 30);
  });
});
