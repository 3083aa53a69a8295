/**
 * The hash chain of an audit trail, as pure functions over the text of
 * audit.jsonl or over records read from elsewhere (the stream). Each record
 * carries its sequence number, the hash of the record before it (`prev`) and
 * its own hash: sha256 of its canonical JSON without `hash`. Editing a record
 * changes its hash; removing one breaks the next record's `prev`. The first
 * line is the folder's creation record (written by the store, without chain
 * fields): it is record 0 and its hash is that of its canonical JSON.
 */
import { createHash } from 'node:crypto';
import { auditGenesisSchema, auditRecordSchema, type AuditEntry, type AuditRecord } from '../../protocol/audit.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';

export { auditRecordSchema, type AuditRecord } from '../../protocol/audit.ts';

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface ChainReading {
  /** Every line that parsed as JSON, record 0 (the folder's creation) included. */
  records: Array<Record<string, unknown>>;
  /** The last record that continues the chain correctly (null when even record 0 is unusable). */
  head: ChainHead | null;
  /** One sentence per break in the chain; empty when it is intact. */
  problems: string[];
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hashOf(record: Record<string, unknown>): string {
  const { hash: _hash, ...body } = record;
  return sha256(canonicalJson(body));
}

/** The record that follows `head`: the entry (protocol/audit.ts) between the chain's fields. */
export function nextRecord(head: ChainHead, entry: AuditEntry, at: string): AuditRecord {
  // Read order in the file: what happened first, the chain fields last.
  const body = { seq: head.seq + 1, at, ...entry, prev: head.hash };
  return auditRecordSchema.parse({ ...body, hash: hashOf(body) });
}

/** One record to check, and where it was found (`line 3`, `stream message 3`). */
export interface PlacedRecord {
  where: string;
  value: unknown;
  /** Set when the place held something that is not JSON at all. */
  unreadable?: string;
}

/** Reads audit.jsonl text and checks every link of the chain. */
export function readChain(text: string): ChainReading {
  if (text === '') return { records: [], head: null, problems: ['the audit trail is empty'] };
  const lines = text.split('\n');
  const complete = text.endsWith('\n') ? lines.slice(0, -1) : lines;
  return checkChain(complete.map((line, index) => placeLine(line, `line ${index + 1}`, index === complete.length - 1 && !text.endsWith('\n'))));
}

function placeLine(line: string, where: string, last: boolean): PlacedRecord {
  try {
    return { where, value: JSON.parse(line) };
  } catch {
    return { where, value: null, unreadable: `not a JSON record${last ? ' (a torn last write?)' : ''}` };
  }
}

/** Checks every link of a chain of records, record 0 (the folder's creation) first. */
export function checkChain(placed: PlacedRecord[]): ChainReading {
  if (placed.length === 0) return { records: [], head: null, problems: ['the audit trail is empty'] };
  const problems: string[] = [];
  const records: Array<Record<string, unknown>> = [];
  let head: ChainHead | null = null;
  placed.forEach(({ where, value, unreadable }, index) => {
    if (unreadable) {
      problems.push(`${where}: ${unreadable}`);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${where}: not a JSON object`);
      return;
    }
    const object = value as Record<string, unknown>;
    records.push(object);
    if (index === 0) {
      if (auditGenesisSchema.safeParse(object).success) head = { seq: 0, hash: sha256(canonicalJson(object)) };
      else problems.push(`${where}: the first record must be the folder's creation record (folder_created with execution_id)`);
      return;
    }
    const record = auditRecordSchema.safeParse(object);
    if (!record.success) {
      problems.push(`${where}: missing or malformed chain fields (${record.error.issues.map((issue) => issue.path.join('.') || 'record').join(', ')})`);
      return;
    }
    const { seq, prev, hash } = record.data;
    if (hashOf(object) !== hash) problems.push(`${where} (seq ${seq}): edited — its content does not match its hash`);
    if (head && prev !== head.hash) problems.push(`${where} (seq ${seq}): does not follow the record before it (a record was removed, inserted or edited)`);
    if (head && seq !== head.seq + 1) problems.push(`${where}: sequence jumps from ${head.seq} to ${seq}`);
    head = { seq, hash };
  });
  return { records, head, problems };
}
