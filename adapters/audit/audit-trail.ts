/**
 * The audit trail of an execution: audit.jsonl in its folder, append-only
 * and hash-chained (hash-chain.ts), with the chain's head also kept in the
 * transport's KV store (anchors.ts: JetStream KV on NATS, the state-dir store
 * on the embedded default). The chain shows an edited or removed record
 * anywhere before the head; the anchor shows records cut from the end.
 *
 * Appends to one folder are serialised in this process. The head this trail
 * wrote last is remembered with the file's size: while the size is the same
 * nobody else has appended, and the file is not read again (reading the whole
 * chain on every append made the cost of a record grow with the trail). When
 * the size differs — a supervisor that took the execution over, a torn write
 * — the file is read and the chain continues from the head found there.
 *
 * An append resolves once its records are in the file and, unless
 * `anchorLater` is set, their head is anchored. With `anchorLater` the
 * anchor follows within anchors.ts's coalesceMs, together with later
 * appends': the supervisor uses it for transitions after which the execution
 * moves on, and waits for the anchor where it comes to rest (awaiting
 * approval, done) and when it stops, so a trail at rest is anchored up to its
 * last record, and a live one at most coalesceMs behind.
 */
import { appendFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { auditFile } from '../store/layout.ts';
import type { KvStore } from '../../bus/kv-store.ts';
import { AnchorWriter } from './anchors.ts';
import { nextRecord, readChain, type AuditEntry, type AuditRecord, type ChainHead } from './hash-chain.ts';
import { RecentMap } from './recent-map.ts';

export type { AuditEntry, AuditRecord } from './hash-chain.ts';
export { auditAnchorKey } from './anchors.ts';

/** Heads remembered (one per execution in flight; forgetting one only costs a read of its file). */
const maxRemembered = 4_096;

interface KnownHead {
  head: ChainHead;
  /** Size of audit.jsonl in bytes once that head was written. */
  size: number;
}

export interface AuditVerification {
  folder: string;
  ok: boolean;
  /** Records read (the folder's creation record included). */
  records: number;
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
  verify(folder: string, executionId: string): Promise<AuditVerification>;
  /** Waits for every anchor still being written. */
  flush(): Promise<void>;
}

export class AuditChainError extends Error {
  constructor(folder: string, problems: string[]) {
    super(`audit trail of ${folder} is broken, refusing to extend it:\n${problems.join('\n')}`);
    this.name = 'AuditChainError';
  }
}

/** `kv` is where chain heads are anchored; without it only the chain itself is checked. */
export function createAuditTrail(options: { kv?: KvStore | null } = {}): AuditTrail {
  const anchors = options.kv ? new AnchorWriter(options.kv) : null;
  const queues = new Map<string, Promise<unknown>>();
  const heads = new RecentMap<string, KnownHead>(maxRemembered);

  /** The head to continue from: the one this trail wrote last, unless the file has changed size since. */
  async function currentHead(folder: string, path: string): Promise<KnownHead & { separator: string }> {
    const known = heads.get(folder);
    if (known && (await stat(path)).size === known.size) return { ...known, separator: '' };
    const bytes = await readFile(path);
    const text = bytes.toString('utf8');
    const { head, problems } = readChain(text);
    if (!head) throw new AuditChainError(folder, problems);
    // A torn last line (crash mid-write) is left as it is, and the chain goes on after it.
    return { head, size: bytes.length, separator: text === '' || text.endsWith('\n') ? '' : '\n' };
  }

  async function appendNow(folder: string, executionId: string, entries: AuditEntry[], options: AppendOptions): Promise<AuditRecord[]> {
    const path = join(folder, auditFile);
    const start = await currentHead(folder, path);
    const at = new Date().toISOString();
    const records: AuditRecord[] = [];
    let head = start.head;
    for (const entry of entries) {
      const record = nextRecord(head, entry, at);
      records.push(record);
      head = { seq: record.seq, hash: record.hash };
    }
    // One write for the whole batch: an O_APPEND write is not interleaved with another appender's.
    const text = `${start.separator}${records.map((record) => `${JSON.stringify(record)}\n`).join('')}`;
    await appendFile(path, text, { flag: 'a' });
    heads.set(folder, { head, size: start.size + Buffer.byteLength(text) });
    if (options.anchorLater) anchors?.anchorSoon(executionId, head);
    else await anchors?.anchor(executionId, head);
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

    async verify(folder, executionId) {
      // The anchor first: records are in the file before their anchor, so a
      // file read after it holds at least the anchored record (no false "cut").
      await anchors?.settled(executionId);
      const anchor = anchors ? await anchors.read(executionId) : null;
      let text: string;
      try {
        text = await readFile(join(folder, auditFile), 'utf8');
      } catch (error) {
        const problem = `cannot read ${auditFile}: ${error instanceof Error ? error.message : String(error)}`;
        return { folder, ok: false, records: 0, head: null, anchor: null, problems: [problem] };
      }
      const reading = readChain(text);
      const problems = [...reading.problems, ...anchorProblems(reading.records, anchor)];
      return { folder, ok: problems.length === 0, records: reading.records.length, head: reading.head, anchor, problems };
    },

    async flush() {
      await anchors?.flush();
    },
  };
}

/** The anchored record must still be there with the same hash; records after it are fine (written since). */
function anchorProblems(records: Array<Record<string, unknown>>, anchor: ChainHead | null): string[] {
  if (!anchor || anchor.seq === 0) return [];
  const anchored = records.find((record) => record.seq === anchor.seq);
  if (!anchored) return [`record ${anchor.seq} (the last one anchored in the store) is missing: records were removed from the end`];
  if (anchored.hash !== anchor.hash) return [`record ${anchor.seq} differs from the one anchored in the store (hash ${anchor.hash.slice(0, 12)}…)`];
  return [];
}
