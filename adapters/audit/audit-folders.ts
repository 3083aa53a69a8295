/**
 * Every execution folder under an executions root, with the execution id its
 * audit trail starts with: what `pyexec audit --verify` walks.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditFile } from '../store/layout.ts';

export interface AuditedFolder {
  folder: string;
  /** From the folder's creation record; null when the first line is unreadable (itself a finding). */
  executionId: string | null;
}

const monthPattern = /^\d{4}-\d{2}$/;

export async function listAuditedFolders(root: string): Promise<AuditedFolder[]> {
  const found: AuditedFolder[] = [];
  for (const month of (await names(root)).filter((name) => monthPattern.test(name)).sort()) {
    for (const leaf of (await names(join(root, month))).filter((name) => !name.startsWith('.')).sort()) {
      const folder = join(root, month, leaf);
      found.push({ folder, executionId: await firstRecordId(folder) });
    }
  }
  return found;
}

async function names(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return [];
    throw error;
  }
}

async function firstRecordId(folder: string): Promise<string | null> {
  try {
    const first = (await readFile(join(folder, auditFile), 'utf8')).split('\n', 1)[0] ?? '';
    const record: unknown = JSON.parse(first);
    return record !== null && typeof record === 'object' && 'execution_id' in record && typeof record.execution_id === 'string' ? record.execution_id : null;
  } catch {
    return null;
  }
}
