/**
 * Atomic file writes: the data goes to a temporary sibling, then is renamed
 * over the target. A reader sees the old file or the new one, never a
 * partial one; a failure leaves the old file and no temporary.
 *
 * `durable` (the default) also flushes the data to disk before the rename,
 * so the file survives a power loss. Files that can be rebuilt from the KV
 * store (the source of truth: notebooks, results, context) skip the flush:
 * an fsync costs more than the rest of the write, on every transition.
 * The write runs on the file worker (file-jobs.ts).
 */
import { runFileJob } from './file-jobs.ts';

export interface AtomicWriteOptions {
  /** Flush to disk before the rename (default true). */
  durable?: boolean;
}

export async function writeFileAtomic(path: string, data: string, options: AtomicWriteOptions = {}): Promise<void> {
  await runFileJob([{ op: 'writeAtomic', path, data, durable: options.durable ?? true }]);
}

/** JSON text for a file, or an error naming what could not be serialised. */
export function toJsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, 2);
  } catch (error) {
    throw new TypeError(`${what}: not serialisable as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (text === undefined) throw new TypeError(`${what}: not serialisable as JSON (got ${typeof value})`);
  return `${text}\n`;
}
