/**
 * The audit trail of an execution: audit.jsonl in its folder, append-only
 * and hash-chained (hash-chain.ts), with the chain's head also kept in the
 * transport's KV store (anchors.ts: JetStream KV on NATS, the state-dir store
 * on the embedded default). The chain shows an edited or removed record
 * anywhere before the head; the anchor shows records cut from the end.
 *
 * With an audit log (the transport's, on NATS: the pyexec_audit stream)
 * every record is also kept there, record 0 with the first append, so the
 * trail can be read and checked from a host without the folder; where both
 * exist, `verify` checks each chain and that they hold the same records.
 *
 * Appends to one folder are serialised in this process. The head this trail
 * wrote last is remembered with the file's size, and an append lands only
 * while the file still has that size (file-jobs.ts appendAt): nobody else has
 * appended, and the file is not read again (reading the whole chain on every
 * append made the cost of a record grow with the trail). When the size
 * differs — a supervisor that took the execution over, a torn write — the
 * file is read and the chain continues from the head found there.
 *
 * An append resolves once its records are in the file and, unless
 * `anchorLater` is set, their head is anchored. With `anchorLater` the
 * anchor follows within anchors.ts's coalesceMs, together with later
 * appends': the supervisor uses it for transitions after which the execution
 * moves on, and waits for the anchor where it comes to rest (awaiting
 * approval, done) and when it stops, so a trail at rest is anchored up to its
 * last record, and a live one at most coalesceMs behind.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFileJob } from '../store/file-jobs.ts';
import { auditFile } from '../store/layout.ts';
import type { AuditLog } from '../../bus/audit-log.ts';
import type { KvStore, StoreUnavailableError } from '../../bus/kv-store.ts';
import { whileUnavailable } from '../../bus/store-retry.ts';
import { auditGenesisSchema, type AuditEntry, type AuditMessage } from '../../protocol/audit.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';
import { AnchorWriter } from './anchors.ts';
import { checkChain, nextRecord, readChain, sha256, type AuditRecord, type ChainHead, type ChainReading, type PlacedRecord } from './hash-chain.ts';
import { RecentMap } from './recent-map.ts';

export type { AuditRecord } from './hash-chain.ts';
export type { AuditEntry } from '../../protocol/audit.ts';
export { auditAnchorKey } from './anchors.ts';

/** Heads remembered (one per execution in flight; forgetting one only costs a read of its file). */
const maxRemembered = 4_096;
/** Reads of the file before an append gives up: each means another writer appended in between. */
const maxAppendTries = 5;

interface KnownHead {
  head: ChainHead;
  /** Size of audit.jsonl in bytes once that head was written. */
  size: number;
}

export interface AuditVerification {
  /** Null when only the audit log was checked (the folder is not on this host). */
  folder: string | null;
  ok: boolean;
  /** Records read (the folder's creation record included): from the file, or from the log without one. */
  records: number;
  /** Records in the audit log, when one was read. */
  logged?: number;
  head: ChainHead | null;
  /** The head kept in KV, when there is one. */
  anchor: ChainHead | null;
  problems: string[];
}

export interface AppendOptions {
  /** Resolve once the records are in the file; the anchor follows in the background. */
  anchorLater?: boolean;
}

export interface AuditTrail {
  append(folder: string, executionId: string, entry: AuditEntry): Promise<AuditRecord>;
  /** Several records in one write and one anchor update (the records of one transition). */
  appendAll(folder: string, executionId: string, entries: AuditEntry[], options?: AppendOptions): Promise<AuditRecord[]>;
  read(folder: string): Promise<Array<Record<string, unknown>>>;
  /** The execution's records in the audit log (objects only); null without a log or when its server keeps none. */
  readLog(executionId: string): Promise<Array<Record<string, unknown>> | null>;
  /** Checks the file's chain (folder null: none here), the log's when there is one, and that both agree. */
  verify(folder: string | null, executionId: string): Promise<AuditVerification>;
  /** Waits for every anchor still being written. */
  flush(): Promise<void>;
}

export class AuditChainError extends Error {
  constructor(folder: string, problems: string[]) {
    super(`audit trail of ${folder} is broken, refusing to extend it:\n${problems.join('\n')}`);
    this.name = 'AuditChainError';
  }
}

export interface AuditTrailOptions {
  /** Where chain heads are anchored; without it only the chain itself is checked. */
  kv?: KvStore | null;
  /** Where records are also kept and read back from (the transport's audit log). */
  log?: AuditLog | null;
  /** Told of each attempt that found the audit log or the anchor store unavailable (it is tried again). */
  retrying?: (error: StoreUnavailableError) => void;
}

export function createAuditTrail(options: AuditTrailOptions = {}): AuditTrail {
  const anchors = options.kv ? new AnchorWriter(options.kv) : null;
  const log = options.log ?? null;
  const retrying = options.retrying ?? (() => {});
  const queues = new Map<string, Promise<unknown>>();
  const heads = new RecentMap<string, KnownHead>(maxRemembered);

  /** The head found in the file; a torn last line (crash mid-write) is left as it is, and the chain goes on after it. */
  async function readHead(folder: string, path: string): Promise<KnownHead & { separator: string; genesis: AuditMessage | null }> {
    const [text] = await runFileJob([{ op: 'read', path }]);
    const { head, problems, records } = readChain(text);
    if (!head) throw new AuditChainError(folder, problems);
    // Record 0 goes to the log with the first records after it (a repeat is stored once: same message id).
    const genesis = head.seq === 0 ? (auditGenesisSchema.safeParse(records[0]).data ?? null) : null;
    return { head, size: Buffer.byteLength(text), separator: text === '' || text.endsWith('\n') ? '' : '\n', genesis };
  }

  /** Appends the records after the head this trail knows, or after the file's own head when another writer has appended since. */
  async function appendToFile(folder: string, entries: AuditEntry[]): Promise<{ records: AuditRecord[]; genesis: AuditMessage | null }> {
    const path = join(folder, auditFile);
    const at = new Date().toISOString();
    for (let tries = 0; tries < maxAppendTries; tries++) {
      const known = heads.get(folder);
      const start = known ? { ...known, separator: '', genesis: null } : await readHead(folder, path);
      const records: AuditRecord[] = [];
      let head = start.head;
      for (const entry of entries) {
        const record = nextRecord(head, entry, at);
        records.push(record);
        head = { seq: record.seq, hash: record.hash };
      }
      // One write for the whole batch: an O_APPEND write is not interleaved with another appender's.
      const text = `${start.separator}${records.map((record) => `${JSON.stringify(record)}\n`).join('')}`;
      const [{ appended, size }] = await runFileJob([{ op: 'appendAt', path, data: text, size: start.size }]);
      if (appended) {
        heads.set(folder, { head, size });
        return { records, genesis: start.genesis };
      }
      heads.delete(folder);
    }
    throw new Error(`audit trail of ${folder}: another writer kept appending; ${maxAppendTries} tries to append failed`);
  }

  async function appendNow(folder: string, executionId: string, entries: AuditEntry[], options: AppendOptions): Promise<AuditRecord[]> {
    const { records, genesis } = await appendToFile(folder, entries);
    const last = records.at(-1);
    if (!last) return records;
    const head = { seq: last.seq, hash: last.hash };
    // The records are in the file: what follows is retried through an
    // outage, never dropped (a transition would otherwise stop short of its
    // event and command) and never repeated in the file.
    if (log) await whileUnavailable(() => log.append(executionId, genesis ? [genesis, ...records] : records), retrying);
    if (options.anchorLater) anchors?.anchorSoon(executionId, head);
    else if (anchors) await whileUnavailable(() => anchors.anchor(executionId, head), retrying);
    return records;
  }

  function appendAll(folder: string, executionId: string, entries: AuditEntry[], options: AppendOptions = {}): Promise<AuditRecord[]> {
    if (entries.length === 0) return Promise.resolve([]);
    const previous = queues.get(folder) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => appendNow(folder, executionId, entries, options));
    queues.set(folder, next);
    void next.finally(() => queues.get(folder) === next && queues.delete(folder)).catch(() => {});
    return next;
  }

  return {
    appendAll,

    async append(folder, executionId, entry) {
      const [record] = await appendAll(folder, executionId, [entry]);
      if (!record) throw new Error('audit append wrote no record');
      return record;
    },

    async read(folder) {
      return readChain(await readFile(join(folder, auditFile), 'utf8')).records;
    },

    async readLog(executionId) {
      const messages = await log?.read(executionId);
      return messages ? checkChain(placedInLog(messages)).records : null;
    },

    async verify(folder, executionId) {
      // The anchor first: records are in the file (and the log) before their
      // anchor, so a trail read after it holds at least the anchored record.
      await anchors?.settled(executionId);
      const anchor = anchors ? await anchors.read(executionId) : null;
      const file = folder === null ? null : await readFileChain(folder);
      const logged = await log?.read(executionId);
      const stream = logged ? checkChain(placedInLog(logged)) : null;
      const problems = [
        ...(file ? [...file.problems, ...anchorProblems(file.records, anchor)] : []),
        ...(stream ? [...stream.problems, ...anchorProblems(stream.records, anchor)].map((problem) => `stream: ${problem}`) : []),
        ...(file?.head && stream ? differences(file.records, stream.records) : []),
      ];
      if (!file && !stream) problems.push('no folder on this host and no audit stream to read');
      const shown = file?.head ? file : (stream ?? file);
      return {
        folder,
        ok: problems.length === 0,
        records: shown?.records.length ?? 0,
        ...(stream ? { logged: stream.records.length } : {}),
        head: shown?.head ?? null,
        anchor,
        problems,
      };
    },

    async flush() {
      await anchors?.flush();
    },
  };
}

/** The file's chain; an unreadable file is a chain with no head and that problem. */
async function readFileChain(folder: string): Promise<ChainReading> {
  try {
    return readChain(await readFile(join(folder, auditFile), 'utf8'));
  } catch (error) {
    return { records: [], head: null, problems: [`cannot read ${auditFile}: ${error instanceof Error ? error.message : String(error)}`] };
  }
}

function placedInLog(messages: unknown[]): PlacedRecord[] {
  return messages.map((value, index) => ({ where: `message ${index + 1}`, value }));
}

/** Where the file and the log disagree: a record edited in one, or present in only one. */
function differences(fileRecords: Array<Record<string, unknown>>, streamRecords: Array<Record<string, unknown>>): string[] {
  if (streamRecords.length === 0) return []; // the stream's own check says it is empty
  const inFile = bySeq(fileRecords);
  const inStream = bySeq(streamRecords);
  const problems: string[] = [];
  for (const seq of [...new Set([...inFile.keys(), ...inStream.keys()])].sort((a, b) => a - b)) {
    const fileHash = inFile.get(seq);
    const streamHash = inStream.get(seq);
    if (streamHash === undefined) problems.push(`record ${seq} is in ${auditFile} but not in the audit stream`);
    else if (fileHash === undefined) problems.push(`record ${seq} is in the audit stream but not in ${auditFile} (removed from the file)`);
    else if (fileHash !== streamHash) problems.push(`record ${seq} differs between ${auditFile} and the audit stream`);
  }
  return problems;
}

/** Each record's hash by its seq (record 0, without chain fields, by the hash of its canonical JSON). */
function bySeq(records: Array<Record<string, unknown>>): Map<number, string> {
  const hashes = new Map<number, string>();
  for (const record of records) {
    const seq = typeof record.seq === 'number' ? record.seq : record.event === 'folder_created' ? 0 : null;
    if (seq === null || hashes.has(seq)) continue; // duplicates are reported by the chain check
    hashes.set(seq, typeof record.hash === 'string' ? record.hash : sha256(canonicalJson(record)));
  }
  return hashes;
}

/** The anchored record must still be there with the same hash; records after it are fine (written since). */
function anchorProblems(records: Array<Record<string, unknown>>, anchor: ChainHead | null): string[] {
  if (!anchor || anchor.seq === 0) return [];
  const anchored = records.find((record) => record.seq === anchor.seq);
  if (!anchored) return [`record ${anchor.seq} (the last one anchored in the store) is missing: records were removed from the end`];
  if (anchored.hash !== anchor.hash) return [`record ${anchor.seq} differs from the one anchored in the store (hash ${anchor.hash.slice(0, 12)}…)`];
  return [];
}
