/**
 * The heads of audit chains kept in the KV store (`audit.<execution id>`):
 * what shows records cut from the end of a trail. Each head only moves
 * forward, with compare-and-set.
 *
 * Writes go through one slot per execution: one write in flight at a time,
 * and heads handed in meanwhile coalesce into the latest. `anchor` writes at
 * once and resolves when the head is in the store; `anchorSoon` waits up to
 * `coalesceMs` first, so the transitions of an execution that moves on at
 * once (generating → analyzing → executing within milliseconds) cost one
 * anchor write instead of one each. The anchor's revision is remembered, so
 * a write is a single compare-and-set (a create for an execution new to this
 * writer); when someone else moved the anchor (a supervisor that took over)
 * it is read again.
 */
import { z } from 'zod';
import { CasConflictError, type KvStore } from '../../bus/kv-store.ts';
import { safeKey } from '../../protocol/kv-keys.ts';
import type { ChainHead } from './hash-chain.ts';
import { RecentMap } from './recent-map.ts';

const anchorSchema = z.object({ seq: z.number().int().nonnegative(), hash: z.string() });

export const auditAnchorKey = (executionId: string) => `audit.${safeKey(executionId)}`;

/** How long `anchorSoon` waits for more records: the longest a record of a live execution goes unanchored. */
export const coalesceMs = 100;

/** Anchors remembered (a few per execution in flight; forgetting one only costs a read). */
const maxRemembered = 4_096;

interface KnownAnchor {
  seq: number;
  revision: number;
}

interface Slot {
  /** The newest head handed in for this execution. */
  wanted: ChainHead;
  /** Set while `anchorSoon` waits. */
  timer: NodeJS.Timeout | null;
  /** Set while writing; settles once `wanted` (whatever it is by then) is in the store. */
  writing: Promise<void> | null;
}

export class AnchorWriter {
  private readonly slots = new Map<string, Slot>();
  private readonly known = new RecentMap<string, KnownAnchor>(maxRemembered);

  constructor(private readonly kv: KvStore) {}

  /** Anchors `head` (or a later one handed in before the write) now; resolves once it is in the store. */
  anchor(executionId: string, head: ChainHead): Promise<void> {
    return this.start(executionId, this.slotFor(executionId, head));
  }

  /** Anchors `head` within coalesceMs; a failure is left to the next head (or to whoever waits with `anchor`). */
  anchorSoon(executionId: string, head: ChainHead): void {
    const slot = this.slotFor(executionId, head);
    if (slot.writing || slot.timer) return; // the write in flight or due picks this head up
    slot.timer = setTimeout(() => void this.start(executionId, slot).catch(() => {}), coalesceMs);
  }

  /** Resolves once what was handed in for this execution is in the store (or its write failed). */
  async settled(executionId: string): Promise<void> {
    const slot = this.slots.get(executionId);
    if (slot) await this.start(executionId, slot).catch(() => {});
  }

  /** Writes every pending head now; failures ignored (each was reported to whoever waited for it). */
  async flush(): Promise<void> {
    await Promise.all([...this.slots].map(([executionId, slot]) => this.start(executionId, slot).catch(() => {})));
  }

  async read(executionId: string): Promise<ChainHead | null> {
    const entry = await this.kv.get(auditAnchorKey(executionId));
    const parsed = entry ? anchorSchema.safeParse(entry.value) : null;
    return parsed?.success ? parsed.data : null;
  }

  private slotFor(executionId: string, head: ChainHead): Slot {
    const slot = this.slots.get(executionId);
    if (!slot) {
      const fresh: Slot = { wanted: head, timer: null, writing: null };
      this.slots.set(executionId, fresh);
      return fresh;
    }
    if (head.seq > slot.wanted.seq) slot.wanted = head;
    return slot;
  }

  private start(executionId: string, slot: Slot): Promise<void> {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.writing ??= this.drain(executionId, slot);
    return slot.writing;
  }

  private async drain(executionId: string, slot: Slot): Promise<void> {
    try {
      for (;;) {
        const head = slot.wanted;
        await this.write(executionId, head);
        if (slot.wanted === head) return;
      }
    } finally {
      // No timer can be set while writing: a later head finds a fresh slot.
      if (this.slots.get(executionId) === slot) this.slots.delete(executionId);
    }
  }

  private async write(executionId: string, head: ChainHead): Promise<void> {
    const key = auditAnchorKey(executionId);
    const remembered = this.known.get(executionId);
    if (remembered && remembered.seq >= head.seq) return;
    try {
      // A trail new to this writer is usually a new execution: no anchor yet.
      const revision = remembered ? await this.kv.update(key, head, remembered.revision) : await this.kv.create(key, head);
      this.known.set(executionId, { seq: head.seq, revision });
      return;
    } catch (error) {
      if (!(error instanceof CasConflictError)) throw error;
    }
    // Someone else wrote the anchor (another supervisor, an earlier process): read it and move it forward.
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
