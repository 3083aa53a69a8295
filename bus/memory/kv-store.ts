/**
 * The in-process KV store: revisions from one sequence per store (like a
 * JetStream KV bucket), compare-and-set, prefix watch. Values are kept as
 * JSON text so no caller shares an object with the store.
 */
import type { Subscription } from 'rxjs';
// Not the 'rxjs' entry point: that one loads every operator (~0.2 s of CPU at each start of the embedded service).
import { filter } from 'rxjs/internal/operators/filter';
import { Subject } from 'rxjs/internal/Subject';
import type { KvChange, KvEntry, KvStore, KvWatch } from '../kv-store.ts';
import { CasConflictError } from '../kv-store.ts';
import { fromWire, toWire } from '../json-wire.ts';

export interface StoredEntry {
  wire: string;
  revision: number;
}

export class MemoryKvStore implements KvStore {
  protected readonly entries = new Map<string, StoredEntry>();
  protected sequence = 0;
  private readonly changes = new Subject<KvChange>();

  async get(key: string): Promise<KvEntry | null> {
    const stored = this.entries.get(key);
    return stored ? { key, value: fromWire(stored.wire), revision: stored.revision } : null;
  }

  async create(key: string, value: unknown): Promise<number> {
    if (this.entries.has(key)) throw new CasConflictError(key, null);
    return this.write(key, toWire(value));
  }

  async update(key: string, value: unknown, expectedRevision: number): Promise<number> {
    const current = this.entries.get(key);
    if (!current || current.revision !== expectedRevision) throw new CasConflictError(key, expectedRevision);
    return this.write(key, toWire(value));
  }

  async delete(key: string): Promise<void> {
    if (!this.entries.delete(key)) return;
    this.sequence += 1;
    this.persistDelete(key, this.sequence);
    this.changes.next({ key, entry: null });
  }

  async keys(prefix = ''): Promise<string[]> {
    return [...this.entries.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async watch(prefix: string, onChange: (change: KvChange) => void): Promise<KvWatch> {
    const subscription: Subscription = this.changes
      .pipe(filter((change) => change.key.startsWith(prefix)))
      .subscribe(onChange);
    return { stop: async () => subscription.unsubscribe() };
  }

  async close(): Promise<void> {
    this.changes.complete();
  }

  /** Hooks for the file-backed store: called after each change is applied. */
  protected persistWrite(_key: string, _stored: StoredEntry): void {}
  protected persistDelete(_key: string, _revision: number): void {}

  private write(key: string, wire: string): number {
    this.sequence += 1;
    const stored = { wire, revision: this.sequence };
    this.persistWrite(key, stored);
    this.entries.set(key, stored);
    this.changes.next({ key, entry: { key, value: fromWire(wire), revision: stored.revision } });
    return stored.revision;
  }
}
