/** Reading an execution folder's audit trail the way a person would: audit.jsonl, one record a line. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every record as written, the folder's creation (record 0) first. */
export function auditRecordsOf(executionFolder: string): Array<Record<string, unknown>> {
  return readFileSync(join(executionFolder, 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
