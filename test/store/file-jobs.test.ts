import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFileJob } from '../../adapters/store/file-jobs.ts';
import { tempDir } from '../support/temp.ts';

describe('file jobs on the worker thread', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir('pyexec-file-jobs-');
  });
  afterEach(() => temp.remove());

  it('runs the steps of a job in order and answers each', async () => {
    const folder = join(temp.path, 'a');
    const [made, written, text] = await runFileJob([
      { op: 'mkdir', path: folder, recursive: false },
      { op: 'writeAtomic', path: join(folder, 'f.txt'), data: 'hello', durable: true },
      { op: 'read', path: join(folder, 'f.txt') },
    ]);
    expect([made, written, text]).toEqual([null, null, 'hello']);
  });

  it('stops at the first failing step and rejects with its system code', async () => {
    const missing = join(temp.path, 'missing', 'f.txt');
    const after = join(temp.path, 'after.txt');
    const failure = runFileJob([
      { op: 'write', path: missing, data: 'x', exclusive: true },
      { op: 'write', path: after, data: 'x', exclusive: true },
    ]);
    await expect(failure).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(missing) });
    expect(existsSync(after)).toBe(false);
  });

  it('appends only at the expected size and reports the size found otherwise', async () => {
    const path = join(temp.path, 'log');
    writeFileSync(path, 'one\n');
    const [first] = await runFileJob([{ op: 'appendAt', path, data: 'two\n', size: 4 }]);
    expect(first).toEqual({ appended: true, size: 8 });
    const [stale] = await runFileJob([{ op: 'appendAt', path, data: 'three\n', size: 4 }]);
    expect(stale).toEqual({ appended: false, size: 8 });
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n');
  });

  it('keeps each job apart when many are submitted at once', async () => {
    const jobs = Array.from({ length: 200 }, (_, index) =>
      runFileJob([
        { op: 'write', path: join(temp.path, `f${index}`), data: String(index), exclusive: true },
        { op: 'read', path: join(temp.path, index % 10 === 0 ? 'nope' : `f${index}`) },
      ]),
    );
    const settled = await Promise.allSettled(jobs);
    settled.forEach((outcome, index) => {
      if (index % 10 === 0) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'ENOENT' } });
      else expect(outcome).toEqual({ status: 'fulfilled', value: [null, String(index)] });
    });
  });

  it('refuses a path whose real location changed', async () => {
    await expect(runFileJob([{ op: 'expectRealpath', path: temp.path, real: '/elsewhere' }])).rejects.toMatchObject({ code: 'EREALPATH' });
  });
});
