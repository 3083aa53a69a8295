import { afterAll, describe, expect, it } from 'vitest';
import { FileKvStore } from '../../bus/file-kv-store.ts';
import { createMemoryTransport } from '../../bus/memory/transport.ts';
import { tempDir } from '../support/temp.ts';
import { runTransportContract } from './transport-contract.ts';

runTransportContract('in-process', async () => createMemoryTransport());

const folders: Array<{ remove: () => void }> = [];
afterAll(() => folders.forEach((folder) => folder.remove()));

runTransportContract('in-process with file-backed KV', async () => {
  const folder = tempDir();
  folders.push(folder);
  return createMemoryTransport({ stateDir: folder.path });
});

describe('file-backed KV', () => {
  it('keeps keys, values and revisions across a reopen, and ignores a torn last line', async () => {
    const folder = tempDir();
    folders.push(folder);
    const first = FileKvStore.open(folder.path);
    const revision = await first.create('exec.a', { state: 'awaitingApproval' });
    await first.create('exec.b', 1);
    await first.delete('exec.b');
    const { appendFileSync } = await import('node:fs');
    appendFileSync(`${folder.path}/kv.log`, '{"op":"put","key":"exec.c","wi');

    const second = FileKvStore.open(folder.path);
    expect(await second.get('exec.a')).toEqual({ key: 'exec.a', value: { state: 'awaitingApproval' }, revision });
    expect(await second.keys()).toEqual(['exec.a']);
    const next = await second.update('exec.a', { state: 'executing' }, revision);
    expect(next).toBeGreaterThan(revision + 1);
  });

  it('compacts a long log without losing the live entries', async () => {
    const folder = tempDir();
    folders.push(folder);
    const store = FileKvStore.open(folder.path);
    let revision = await store.create('hot', 0);
    for (let i = 1; i <= 1_500; i++) revision = await store.update('hot', i, revision);
    const reopened = FileKvStore.open(folder.path);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(`${folder.path}/kv.log`, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(await reopened.get('hot')).toEqual({ key: 'hot', value: 1_500, revision });
  });
});
