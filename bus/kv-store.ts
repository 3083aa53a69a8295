/**
 * A key/value store with revisions and compare-and-set: the home of execution
 * snapshots, job claims and job results. In-process (memory), on disk
 * (file-kv-store.ts, for the embedded default with --state-dir) and JetStream KV.
 */

export interface KvEntry {
  key: string;
  value: unknown;
  /** Grows with every write; the handle for compare-and-set. */
  revision: number;
}

export interface KvChange {
  key: string;
  /** null when the key was deleted. */
  entry: KvEntry | null;
}

export interface KvWatch {
  stop(): Promise<void>;
}

export interface KvStore {
  get(key: string): Promise<KvEntry | null>;
  /** Writes a new key; throws CasConflictError if the key exists. */
  create(key: string, value: unknown): Promise<number>;
  /** Writes when the current revision is `expectedRevision`; else throws CasConflictError. */
  update(key: string, value: unknown, expectedRevision: number): Promise<number>;
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix` (all keys when omitted). */
  keys(prefix?: string): Promise<string[]>;
  /** Calls `onChange` for every later change of a key starting with `prefix`. */
  watch(prefix: string, onChange: (change: KvChange) => void): Promise<KvWatch>;
  close(): Promise<void>;
}

export class CasConflictError extends Error {
  constructor(
    readonly key: string,
    readonly expectedRevision: number | null,
  ) {
    super(
      expectedRevision === null
        ? `key ${key} already exists`
        : `key ${key} is no longer at revision ${expectedRevision}`,
    );
    this.name = 'CasConflictError';
  }
}

/**
 * A store could not be reached (timeout, lost connection, no JetStream
 * leader for the moment). The write may or may not have landed; retrying is
 * the caller's choice (store-retry.ts). Never a refusal (that is
 * CasConflictError or another error).
 */
export class StoreUnavailableError extends Error {
  constructor(what: string, cause: unknown) {
    super(`${what} failed: the store is unavailable (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

export class KvUnavailableError extends StoreUnavailableError {
  constructor(operation: string, key: string, cause: unknown) {
    super(`KV ${operation} of ${key}`, cause);
    this.name = 'KvUnavailableError';
  }
}
