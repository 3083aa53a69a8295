/**
 * The heads of audit chains kept in the KV store (`audit.<execution id>`):
 * what shows records cut from the end of a trail. Each head only moves
 * forward, with compare-and-set.
 *
 * Writes go through one queue per execution: one write in flight at a time,
 * and heads handed in meanwhile coalesce into the latest, so a burst of
 * transitions costs one or two writes instead of one per transition. The
 * anchor's revision is remembered, so a write is a single compare-and-set;
 * when someone else moved the anchor (a supervisor that took over) it is read
 * again.
 */
import { z } from 'zod';
import { CasConflictError, type KvStore } from '../../bus/kv-store.ts';
import { safeKey } from '../../bus/subjects.ts';
import type { ChainHead } from './hash-chain.ts';
import { RecentMap } from './recent-map.ts';

const anchorSchema = z.object({ seq: z.number().int().nonnegative(), hash: z.string() });

export const auditAnchorKey = (executionId: string) => `audit.${safeKey(executionId)}`;

/** Anchors remembered (a few per execution in flight; forgetting one only costs a read). */
const maxRemembered = 4_096;

interface KnownAnchor {
  seq: number;
  revision: number;
}

interface Slot {
  /** The newest head handed in for this execution. */
  wanted: ChainHead;
  /** Settles once `wanted` (whatever it is by then) is in the store. */
  written: Promise<void>;
}

export class AnchorWriter {
  private readonly slots = new Map<string, Slot>();
  private readonly known = new RecentMap<string, KnownAnchor>(maxRemembered);

  constructor(private readonly kv: KvStore) {}

  /** Anchors `head` (or a later one handed in before the write); resolves once it is in the store. */
  anchor(executionId: string, head: ChainHead): Promise<void> {
    const slot = this.slots.get(executionId);
    if (slot) {
      if (head.seq > slot.wanted.seq) slot.wanted = head;
      return slot.written;
    }
    const fresh: Slot = { wanted: head, written: Promise.resolve() };
    this.slots.set(executionId, fresh);
    fresh.written = this.drain(executionId, fresh);
    return fresh.written;
  }

  /** Resolves once what was handed in for this execution is in the store (or its write failed). */
  async settled(executionId: string): Promise<void> {
    await this.slots.get(executionId)?.written.catch(() => {});
  }

  /** Every pending write, failures ignored (each was reported to whoever waited for it). */
  async flush(): Promise<void> {
    await Promise.all([...this.slots.values()].map((slot) => slot.written.catch(() => {})));
  }

  async read(executionId: string): Promise<ChainHead | null> {
    const entry = await this.kv.get(auditAnchorKey(executionId));
    const parsed = entry ? anchorSchema.safeParse(entry.value) : null;
    return parsed?.success ? parsed.data : null;
  }

  private async drain(executionId: string, slot: Slot): Promise<void> {
    try {
      for (;;) {
        const head = slot.wanted;
        await this.write(executionId, head);
        if (slot.wanted === head) return;
      }
    } finally {
      this.slots.delete(executionId);
    }
  }

  private async write(executionId: string, head: ChainHead): Promise<void> {
    const key = auditAnchorKey(executionId);
    const remembered = this.known.get(executionId);
    if (remembered && remembered.seq >= head.seq) return;
    if (remembered) {
      try {
        this.known.set(executionId, { seq: head.seq, revision: await this.kv.update(key, head, remembered.revision) });
        return;
      } catch (error) {
        if (!(error instanceof CasConflictError)) throw error;
      }
    }
    const entry = await this.kv.get(key);
    if (!entry) {
      this.known.set(executionId, { seq: head.seq, revision: await this.kv.create(key, head) });
      return;
    }
    const current = anchorSchema.safeParse(entry.value);
    if (current.success && current.data.seq >= head.seq) {
      this.known.set(executionId, { seq: current.data.seq, revision: entry.revision });
      return;
    }
    this.known.set(executionId, { seq: head.seq, revision: await this.kv.update(key, head, entry.revision) });
  }
}
