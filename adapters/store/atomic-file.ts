/**
 * Atomic file writes: the data goes to a temporary sibling, is flushed to
 * disk, then renamed over the target. A reader sees the old file or the new
 * one, never a partial one; a failure leaves the old file and no temporary.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
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
