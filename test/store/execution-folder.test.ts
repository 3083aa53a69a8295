import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildNotebook } from '../../adapters/notebook/build.ts';
import { writeFileAtomic } from '../../adapters/store/atomic-file.ts';
import {
  createExecutionFolder,
  ExecutionFolderError,
  findExecutionFolder,
  writeAttemptNotebook,
  writeFinalNotebook,
  writeResults,
} from '../../adapters/store/execution-folder.ts';
import { FolderNameError } from '../../adapters/store/folder-name.ts';
import { tempDir } from '../support/temp.ts';

const id = 'f00dcafe-1234-4abc-8def-0123456789ab';
const now = new Date('2024-05-07T08:09:10.123Z');

/** Every file and folder under `root`, hidden ones included, relative to it. */
function tree(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
}

describe('execution folder', () => {
  let temp: ReturnType<typeof tempDir>;
  let root: string;
  beforeEach(() => {
    temp = tempDir();
    root = join(temp.path, 'executions');
  });
  afterEach(() => temp.remove());

  it('creates <root>/<YYYY-MM>/<YYYYMMDD-HHMMSS>_<name>_<id8>/ complete, with context.json and the audit start', async () => {
    const context = { pv: 'SR:CURRENT', window: [1, 2], nested: { unicode: 'µA' } };
    const folder = await createExecutionFolder(root, id, { task_objective: 'Plot the beam current (mA)!', context }, now);
    expect(relative(root, folder)).toBe('2024-05/20240507-080910_plot_the_beam_current_ma_f00dcafe');
    expect(tree(folder)).toEqual(['attempts', 'audit.jsonl', 'context.json', 'figures']);
    expect(JSON.parse(readFileSync(join(folder, 'context.json'), 'utf8'))).toEqual(context);
    const audit = readFileSync(join(folder, 'audit.jsonl'), 'utf8').trim().split('\n');
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0] ?? '')).toMatchObject({ event: 'folder_created', execution_id: id, at: now.toISOString() });
  });

  it('uses the request folder name as given, and a bounded slug of the objective otherwise', async () => {
    const named = await createExecutionFolder(root, id, { task_objective: 'x', execution_folder_name: 'Beam-Study_2.v1', context: {} }, now);
    expect(basename(named)).toBe('20240507-080910_Beam-Study_2.v1_f00dcafe');
    const long = await createExecutionFolder(
      root,
      'bbbbbbbb-1',
      { task_objective: `Ünïcödé ${'very long objective '.repeat(10)}`, context: {} },
      now,
    );
    const slug = basename(long).replace(/^\d{8}-\d{6}_/, '').replace(/_bbbbbbbb$/, '');
    expect(slug).toMatch(/^unicode_very_long_objective/);
    expect(slug.length).toBeLessThanOrEqual(40);
    expect(slug).toMatch(/^[a-z0-9_]+$/);
    expect(slug.endsWith('_')).toBe(false);
    const symbols = await createExecutionFolder(root, 'cccccccc-1', { task_objective: '../../!!!', context: {} }, now);
    expect(basename(symbols)).toBe('20240507-080910_execution_cccccccc');
  });

  it.each(['../../etc', '..', 'a/b', '/etc', '.hidden', 'a\\b', '', 'x'.repeat(65), 'a..b'])(
    'refuses the folder name %j and creates nothing',
    async (name) => {
      const attempt = createExecutionFolder(root, id, { task_objective: 'x', execution_folder_name: name, context: {} }, now);
      await expect(attempt).rejects.toThrow(FolderNameError);
      await expect(attempt).rejects.toThrow(/execution_folder_name: /);
      expect(tree(temp.path)).toEqual([]);
    },
  );

  it('refuses an invalid execution id before touching the disk', async () => {
    await expect(createExecutionFolder(root, '../../../x', { task_objective: 'x', context: {} }, now)).rejects.toThrow(
      /execution_id: must be 8-64 lowercase letters/,
    );
    expect(existsSync(root)).toBe(false);
  });

  it('never follows a symlink out of the root', async () => {
    const outside = join(temp.path, 'outside');
    mkdirSync(outside);
    mkdirSync(root);
    symlinkSync(outside, join(root, '2024-05'));
    await expect(createExecutionFolder(root, id, { task_objective: 'x', context: {} }, now)).rejects.toThrow(ExecutionFolderError);
    expect(tree(outside)).toEqual([]);
  });

  it('makes the month folder again when it was removed, and refuses it once it is a symlink out of the root', async () => {
    await createExecutionFolder(root, id, { task_objective: 'x', context: {} }, now);
    rmSync(join(root, '2024-05'), { recursive: true });
    const again = await createExecutionFolder(root, id, { task_objective: 'x', context: {} }, now);
    expect(existsSync(join(again, 'audit.jsonl'))).toBe(true);

    rmSync(join(root, '2024-05'), { recursive: true });
    const outside = join(temp.path, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(root, '2024-05'));
    await expect(createExecutionFolder(root, id, { task_objective: 'x', context: {} }, now)).rejects.toThrow(ExecutionFolderError);
    expect(tree(outside)).toEqual([]);
  });

  it('leaves nothing when the context cannot be serialised', async () => {
    const context = { big: 10n };
    await expect(createExecutionFolder(root, id, { task_objective: 'x', context }, now)).rejects.toThrow(
      /context: not serialisable as JSON/,
    );
    expect(existsSync(root)).toBe(false);
  });

  it('refuses to create a folder twice and leaves the first intact, with no partial copy', async () => {
    const folder = await createExecutionFolder(root, id, { task_objective: 'x', context: { first: true } }, now);
    await expect(createExecutionFolder(root, id, { task_objective: 'x', context: { second: true } }, now)).rejects.toThrow(
      /execution folder already exists/,
    );
    expect(readdirSync(join(root, '2024-05'))).toEqual([basename(folder)]);
    expect(JSON.parse(readFileSync(join(folder, 'context.json'), 'utf8'))).toEqual({ first: true });
  });

  it('finds the folder of an execution by its full id, across months', async () => {
    const may = await createExecutionFolder(root, id, { task_objective: 'x', context: {} }, now);
    // Same first 8 characters, another execution: the name alone cannot tell them apart.
    const twin = 'f00dcafe-9999-4abc-8def-0123456789ab';
    const june = await createExecutionFolder(root, twin, { task_objective: 'x', context: {} }, new Date('2024-06-01T00:00:00Z'));
    expect(await findExecutionFolder(root, id)).toBe(may);
    expect(await findExecutionFolder(root, twin)).toBe(june);
    expect(await findExecutionFolder(root, 'f00dcafe-0000-0000')).toBeNull();
    expect(await findExecutionFolder(join(temp.path, 'missing'), id)).toBeNull();
  });

  it('writes context.json, results.json and notebooks atomically', async () => {
    const folder = await createExecutionFolder(root, id, { task_objective: 'x', context: { a: 1 } }, now);
    const results = await writeResults(folder, { mean: 1.5, values: [1, 2] });
    expect(JSON.parse(readFileSync(join(folder, 'context.json'), 'utf8'))).toEqual({ a: 1 });
    expect(JSON.parse(readFileSync(results, 'utf8'))).toEqual({ mean: 1.5, values: [1, 2] });

    const notebook = buildNotebook({ stage: 'generated', executionId: id, attempt: 3, taskObjective: 'x', userQuery: '', code: 'x = 1\n', folder });
    expect(relative(folder, await writeAttemptNotebook(folder, 3, 'generated', notebook))).toBe('attempts/03_generated.ipynb');
    expect(relative(folder, await writeAttemptNotebook(folder, 12, 'failed_execution', notebook))).toBe('attempts/12_failed_execution.ipynb');
    const final = await writeFinalNotebook(folder, notebook);
    expect(relative(folder, final)).toBe('notebook.ipynb');
    expect(JSON.parse(readFileSync(final, 'utf8'))).toEqual(notebook);
    await expect(writeAttemptNotebook(folder, 0, 'generated', notebook)).rejects.toThrow(/attempt: must be a positive integer/);
    expect(tree(folder).filter((entry) => basename(entry).startsWith('.'))).toEqual([]);
  });

  it('keeps the previous file and no temporary when a write fails', async () => {
    const folder = await createExecutionFolder(root, id, { task_objective: 'x', context: {} }, now);
    await writeResults(folder, { good: true });
    await expect(writeResults(folder, { bad: 1n })).rejects.toThrow(/results: not serialisable as JSON/);
    expect(JSON.parse(readFileSync(join(folder, 'results.json'), 'utf8'))).toEqual({ good: true });

    // A failure of the file system itself (rename onto a folder): the temporary is removed.
    const blocked = join(folder, 'blocked');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'keep'), 'x');
    await expect(writeFileAtomic(blocked, 'data')).rejects.toThrow();
    expect(readdirSync(folder).filter((entry) => entry.startsWith('.'))).toEqual([]);
  });
});
