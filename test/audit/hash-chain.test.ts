/**
 * The hash-chained audit trail: an intact file verifies; an edited, removed,
 * inserted or reordered record, or records cut from the end, do not.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditTrail } from '../../adapters/audit/audit-trail.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';
import { createExecutionFolder } from '../../adapters/store/execution-folder.ts';
import { MemoryKvStore } from '../../bus/memory/kv-store.ts';
import { tempDir } from '../support/temp.ts';

const root = tempDir('pyexec-audit-');
afterAll(() => root.remove());

let counter = 0;
async function trailWithRecords(count: number) {
  counter += 1;
  const executionId = `${String(counter).padStart(8, '0')}-audit-test`;
  const folder = await createExecutionFolder(root.path, executionId, { task_objective: 'audit test', context: {} });
  const kv = new MemoryKvStore();
  const trail = createAuditTrail({ kv });
  for (let index = 0; index < count; index += 1) {
    await trail.append(folder, executionId, { event: 'transition', from: 'generating', to: 'analyzing', attempt: index + 1, outcome: null, detail: `step ${index}` });
  }
  const file = join(folder, 'audit.jsonl');
  const lines = () => readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const rewrite = (edited: string[]) => writeFileSync(file, `${edited.join('\n')}\n`);
  return { executionId, folder, trail, lines, rewrite, verify: () => trail.verify(folder, executionId), unanchored: () => createAuditTrail().verify(folder, executionId) };
}

describe('hash-chained audit trail', () => {
  it('verifies an intact trail, concurrent appends included', async () => {
    const { trail, folder, executionId, verify, lines } = await trailWithRecords(3);
    await Promise.all(Array.from({ length: 20 }, (_, n) => trail.append(folder, executionId, { event: 'cancel_received', by: 'operator', reason: `cancel ${n}` })));
    const result = await verify();
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.records).toBe(24);
    expect(result.head?.seq).toBe(23);
    expect(result.anchor).toEqual(result.head);
    expect(lines().map((line) => (JSON.parse(line) as { seq?: number }).seq ?? 0)).toEqual(Array.from({ length: 24 }, (_, n) => n));
  });

  it('detects an edited record', async () => {
    const { lines, rewrite, verify } = await trailWithRecords(4);
    const edited = lines();
    edited[2] = (edited[2] ?? '').replace('step 1', 'step one');
    rewrite(edited);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/line 3 \(seq 2\): edited/);
  });

  it('detects an edited record whose hash was recomputed (the next record no longer follows it)', async () => {
    const { lines, rewrite, unanchored } = await trailWithRecords(4);
    const edited = lines();
    const record = JSON.parse(edited[2] ?? '{}') as Record<string, unknown>;
    const body: Record<string, unknown> = { ...record, detail: 'forged' };
    delete body.hash;
    edited[2] = JSON.stringify({ ...body, hash: createHash('sha256').update(canonicalJson(body)).digest('hex') });
    rewrite(edited);
    const result = await unanchored();
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/line 4 \(seq 3\): does not follow/);
  });

  it('detects a removed record in the middle', async () => {
    const { lines, rewrite, verify } = await trailWithRecords(4);
    rewrite(lines().filter((_, index) => index !== 2));
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/does not follow the record before it/);
  });

  it('detects records removed from the end through the anchor in the store', async () => {
    const { lines, rewrite, verify, unanchored } = await trailWithRecords(4);
    rewrite(lines().slice(0, -2));
    expect((await unanchored()).ok).toBe(true); // the chain alone cannot see a cut end…
    const result = await verify(); // …the anchored head can
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/record 4 .* is missing: records were removed from the end/);
  });

  it('detects a swapped order and an edited creation record', async () => {
    const swapped = await trailWithRecords(3);
    const lines = swapped.lines();
    swapped.rewrite([lines[0] ?? '', lines[2] ?? '', lines[1] ?? '', lines[3] ?? '']);
    expect((await swapped.verify()).ok).toBe(false);

    const genesis = await trailWithRecords(2);
    const edited = genesis.lines();
    edited[0] = (edited[0] ?? '').replace('-audit-test', '-other-test');
    genesis.rewrite(edited);
    const result = await genesis.verify();
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/line 2 \(seq 1\): does not follow/);
  });

  it('keeps the chain going after a torn last write, and reports the torn line', async () => {
    const { folder, executionId, trail, verify } = await trailWithRecords(2);
    writeFileSync(join(folder, 'audit.jsonl'), `${readFileSync(join(folder, 'audit.jsonl'), 'utf8')}{"seq":3,"at":"20`);
    const record = await trail.append(folder, executionId, { event: 'cancel_received', by: 'operator', reason: 'after a crash' });
    expect(record.seq).toBe(3);
    const result = await verify();
    expect(result.problems).toEqual(['line 4: not a JSON record']);
  });
});
