/**
 * The execution folder: every file an execution leaves behind, under
 *
 *   <executions root>/<YYYY-MM>/<YYYYMMDD-HHMMSS>_<safe folder name>_<id8>/
 *     context.json  audit.jsonl  results.json  notebook.ipynb
 *     attempts/NN_<stage>.ipynb  figures/
 *
 * (times in UTC, so that names do not depend on the host's zone). The folder
 * is built under a hidden temporary name and renamed into place, so it either
 * exists complete (context.json, attempts/, figures/, audit.jsonl) or not at
 * all; every file written later is replaced atomically (temp + rename). Paths
 * are resolved and checked against the root (symlinks included): nothing is
 * ever created outside it.
 *
 * No file here is flushed to disk (fsync): the KV store is the source of
 * truth, and context, results and notebooks can be rebuilt from the
 * execution's record there; the audit trail's appends were never flushed,
 * its head is anchored in the KV store instead (adapters/audit).
 *
 * API (the supervisor's calls):
 *   createExecutionFolder(root, executionId, request, now?) → absolute folder path
 *   findExecutionFolder(root, executionId)                  → folder path | null (after a restart)
 *   writeResults(folder, results)                           → path of results.json
 *   writeAttemptNotebook(folder, attempt, stage, notebook)  → path of attempts/NN_<stage>.ipynb
 *   writeFinalNotebook(folder, notebook)                    → path of notebook.ipynb
 */
import { randomBytes } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { genesisRecord, type AuditGenesis } from '../../protocol/audit.ts';
import { describeZodError } from '../../protocol/zod-error.ts';
import { PyexecError } from '../../protocol/errors.ts';
import { executionIdSchema } from '../../protocol/fields.ts';
import { type ExecutionRequest } from '../../protocol/public.ts';
import type { Notebook } from '../notebook/nbformat.ts';
import { toJsonText, writeFileAtomic } from './atomic-file.ts';
import { runFileJob } from './file-jobs.ts';
import { safeFolderName } from './folder-name.ts';
import {
  attemptNotebookName,
  attemptsDir,
  auditFile,
  contextFile,
  figuresDir,
  finalNotebookFile,
  resultsFile,
  type AttemptStage,
} from './layout.ts';

export class ExecutionFolderError extends PyexecError {
  constructor(message: string) {
    super('execution_folder', message);
    this.name = 'ExecutionFolderError';
  }
}

/** What the folder is made from: the request's name, objective and context. */
export type ExecutionFolderRequest = Pick<ExecutionRequest, 'task_objective' | 'context'> & {
  execution_folder_name?: string | undefined;
};

const monthPattern = /^\d{4}-\d{2}$/;

/**
 * Month folders made and found inside their root (symlinks resolved) by this
 * process, with their real path: checked once, and each creation only
 * confirms the real path is unchanged. Should one be removed or replaced
 * later, the creation that fails on it checks and makes it again.
 */
const checkedMonths = new Map<string, string>();

export async function createExecutionFolder(
  root: string,
  executionId: string,
  request: ExecutionFolderRequest,
  now: Date = new Date(),
): Promise<string> {
  const id = parseExecutionId(executionId);
  // Everything that can be refused is checked before the disk is touched.
  const leaf = `${timestamp(now)}_${safeFolderName(request)}_${id.slice(0, 8)}`;
  const contextText = toJsonText(request.context, 'context');
  const auditLine = auditText(genesisRecord(id, leaf, now.toISOString()));
  const rootPath = resolve(root);
  const monthPath = join(rootPath, now.toISOString().slice(0, 7));
  const folder = join(monthPath, leaf);
  assertInside(rootPath, folder);

  for (let tries = 1; ; tries++) {
    const realMonth = await checkMonth(rootPath, monthPath);
    const building = join(monthPath, `.building-${leaf}-${randomBytes(4).toString('hex')}`);
    try {
      // Plain writes: nobody sees the folder before the rename, which refuses
      // a non-empty target, so the existence check comes free of races.
      await runFileJob([
        { op: 'expectRealpath', path: monthPath, real: realMonth },
        { op: 'mkdir', path: building, recursive: false },
        { op: 'mkdir', path: join(building, attemptsDir), recursive: false },
        { op: 'mkdir', path: join(building, figuresDir), recursive: false },
        { op: 'write', path: join(building, contextFile), data: contextText, exclusive: true },
        { op: 'write', path: join(building, auditFile), data: auditLine, exclusive: true },
        { op: 'rename', from: building, to: folder },
      ]);
      return folder;
    } catch (error) {
      checkedMonths.delete(monthPath);
      await runFileJob([{ op: 'remove', path: building }]);
      // The month folder went away or was replaced: check it again.
      if ((isErrorCode(error, 'ENOENT') || isErrorCode(error, 'EREALPATH')) && tries === 1) continue;
      if (isErrorCode(error, 'ENOTEMPTY') || isErrorCode(error, 'EEXIST')) {
        throw new ExecutionFolderError(`execution folder already exists: ${folder}`);
      }
      throw error;
    }
  }
}

/** Makes the month folder and refuses it when it resolves outside the root (a symlink); its real path. */
async function checkMonth(rootPath: string, monthPath: string): Promise<string> {
  const checked = checkedMonths.get(monthPath);
  if (checked !== undefined) return checked;
  const [, realRoot, realMonth] = await runFileJob([
    { op: 'mkdir', path: monthPath, recursive: true },
    { op: 'realpath', path: rootPath },
    { op: 'realpath', path: monthPath },
  ]);
  assertInside(realRoot, realMonth);
  checkedMonths.set(monthPath, realMonth);
  return realMonth;
}

/**
 * The folder of an execution, found by its id: the name carries only 8
 * characters of it, so the first line of audit.jsonl (written at creation)
 * confirms the full id. Newest months first; null when there is none.
 */
export async function findExecutionFolder(root: string, executionId: string): Promise<string | null> {
  const id = parseExecutionId(executionId);
  const rootPath = resolve(root);
  const months = (await listDirectory(rootPath)).filter((name) => monthPattern.test(name)).sort().reverse();
  for (const month of months) {
    const candidates = (await listDirectory(join(rootPath, month))).filter(
      (name) => !name.startsWith('.') && name.endsWith(`_${id.slice(0, 8)}`),
    );
    for (const name of candidates) {
      const folder = join(rootPath, month, name);
      if ((await createdFor(folder)) === id) return folder;
    }
  }
  return null;
}

export async function writeResults(folder: string, results: Record<string, unknown> | null): Promise<string> {
  return writeJson(join(folder, resultsFile), results, 'results');
}

export async function writeAttemptNotebook(
  folder: string,
  attempt: number,
  stage: AttemptStage,
  notebook: Notebook,
): Promise<string> {
  return writeNotebookFile(join(folder, attemptNotebookName(attempt, stage)), notebook);
}

export async function writeFinalNotebook(folder: string, notebook: Notebook): Promise<string> {
  return writeNotebookFile(join(folder, finalNotebookFile), notebook);
}

/** Jupyter's own on-disk style: indent 1, trailing newline. */
async function writeNotebookFile(path: string, notebook: Notebook): Promise<string> {
  await writeFileAtomic(path, `${JSON.stringify(notebook, null, 1)}\n`, { durable: false });
  return path;
}

async function writeJson(path: string, value: unknown, what: string): Promise<string> {
  await writeFileAtomic(path, toJsonText(value, what), { durable: false });
  return path;
}

function auditText(genesis: AuditGenesis): string {
  return `${JSON.stringify(genesis)}\n`;
}

function parseExecutionId(executionId: string): string {
  const parsed = executionIdSchema.safeParse(executionId);
  if (!parsed.success) {
    throw new ExecutionFolderError(`invalid execution id ${JSON.stringify(executionId)}:\n${describeZodError(parsed.error, 'execution_id')}`);
  }
  return parsed.data;
}

/** `20240501-123456`, UTC. */
function timestamp(now: Date): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
}

function assertInside(root: string, path: string): void {
  const rel = relative(root, path);
  if (rel === '' || rel === '..' || rel.startsWith('../') || isAbsolute(rel)) {
    throw new ExecutionFolderError(`refusing a path outside the executions root ${root}: ${path}`);
  }
}

async function listDirectory(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (isErrorCode(error, 'ENOENT') || isErrorCode(error, 'ENOTDIR')) return [];
    throw error;
  }
}

/** The execution id in the first line of a folder's audit.jsonl, if readable. */
async function createdFor(folder: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(join(folder, auditFile), 'r');
  } catch {
    return null;
  }
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    const firstLine = buffer.subarray(0, bytesRead).toString('utf8').split('\n', 1)[0] ?? '';
    const entry: unknown = JSON.parse(firstLine);
    if (entry !== null && typeof entry === 'object' && 'execution_id' in entry && typeof entry.execution_id === 'string') {
      return entry.execution_id;
    }
    return null;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
