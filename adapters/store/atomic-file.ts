/**
 * Atomic file writes: the data goes to a temporary sibling, then is renamed
 * over the target. A reader sees the old file or the new one, never a
 * partial one; a failure leaves the old file and no temporary.
 *
 * `durable` (the default) also flushes the data to disk before the rename,
 * so the file survives a power loss. Files that can be rebuilt from the KV
 * store (the source of truth: notebooks, results, context) skip the flush:
 * an fsync costs more than the rest of the write, on every transition.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Flush to disk before the rename (default true). */
  durable?: boolean;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      if (options.durable ?? true) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
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
