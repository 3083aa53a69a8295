/**
 * The audit trail of an execution: audit.jsonl in its folder, append-only
 * and hash-chained (hash-chain.ts), with the chain's head also kept in the
 * transport's KV store (`audit.<execution id>`: JetStream KV on NATS, the
 * state-dir store on the embedded default). The chain shows an edited or
 * removed record anywhere before the head; the anchor shows records cut from
 * the end.
 *
 * Appends to one folder are serialised in this process; each append reads
 * the file's current head first, so a supervisor that took an execution over
 * continues the chain it finds.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { auditFile } from '../store/layout.ts';
import type { KvStore } from '../../bus/kv-store.ts';
import { safeKey } from '../../bus/subjects.ts';
import { nextRecord, readChain, type AuditEntry, type AuditRecord, type ChainHead } from './hash-chain.ts';

export type { AuditEntry, AuditRecord } from './hash-chain.ts';

const anchorSchema = z.object({ seq: z.number().int().nonnegative(), hash: z.string() });

export const auditAnchorKey = (executionId: string) => `audit.${safeKey(executionId)}`;

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

export interface AuditTrail {
  append(folder: string, executionId: string, entry: AuditEntry): Promise<AuditRecord>;
  read(folder: string): Promise<Array<Record<string, unknown>>>;
  verify(folder: string, executionId: string): Promise<AuditVerification>;
}

export class AuditChainError extends Error {
  constructor(folder: string, problems: string[]) {
    super(`audit trail of ${folder} is broken, refusing to extend it:\n${problems.join('\n')}`);
    this.name = 'AuditChainError';
  }
}

/** `kv` is where chain heads are anchored; without it only the chain itself is checked. */
export function createAuditTrail(options: { kv?: KvStore | null } = {}): AuditTrail {
  const kv = options.kv ?? null;
  const queues = new Map<string, Promise<unknown>>();

  async function appendNow(folder: string, executionId: string, entry: AuditEntry): Promise<AuditRecord> {
    const path = join(folder, auditFile);
    const text = await readFile(path, 'utf8');
    const { head } = readChain(text);
    if (!head) throw new AuditChainError(folder, readChain(text).problems);
    // A torn last line (crash mid-write) is left as it is, and the chain goes on after it.
    const separator = text === '' || text.endsWith('\n') ? '' : '\n';
    const record = nextRecord(head, entry, new Date().toISOString());
    await appendFile(path, `${separator}${JSON.stringify(record)}\n`, { flag: 'a' });
    if (kv) await writeAnchor(kv, executionId, { seq: record.seq, hash: record.hash });
    return record;
  }

  return {
    append(folder, executionId, entry) {
      const previous = queues.get(folder) ?? Promise.resolve();
      const next = previous.catch(() => {}).then(() => appendNow(folder, executionId, entry));
      queues.set(folder, next);
      void next.finally(() => queues.get(folder) === next && queues.delete(folder)).catch(() => {});
      return next;
    },

    async read(folder) {
      return readChain(await readFile(join(folder, auditFile), 'utf8')).records;
    },

    async verify(folder, executionId) {
      let text: string;
      try {
        text = await readFile(join(folder, auditFile), 'utf8');
      } catch (error) {
        const problem = `cannot read ${auditFile}: ${error instanceof Error ? error.message : String(error)}`;
        return { folder, ok: false, records: 0, head: null, anchor: null, problems: [problem] };
      }
      const reading = readChain(text);
      const anchor = kv ? await readAnchor(kv, executionId) : null;
      const problems = [...reading.problems, ...anchorProblems(reading.records, anchor)];
      return { folder, ok: problems.length === 0, records: reading.records.length, head: reading.head, anchor, problems };
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

async function readAnchor(kv: KvStore, executionId: string): Promise<ChainHead | null> {
  const entry = await kv.get(auditAnchorKey(executionId));
  const parsed = entry ? anchorSchema.safeParse(entry.value) : null;
  return parsed?.success ? parsed.data : null;
}

/** Only moves forward: an older head never replaces a newer one. */
async function writeAnchor(kv: KvStore, executionId: string, head: ChainHead): Promise<void> {
  const key = auditAnchorKey(executionId);
  const entry = await kv.get(key);
  if (!entry) {
    await kv.create(key, head);
    return;
  }
  const current = anchorSchema.safeParse(entry.value);
  if (current.success && current.data.seq >= head.seq) return;
  await kv.update(key, head, entry.revision);
}
