/**
 * The embedded default's durable KV (`--state-dir`): the in-process store
 * with every change appended to a log file before it is applied, replayed at
 * open and compacted when the log has grown well past the live data. A
 * process that dies loses nothing it had acknowledged; a torn last line (a
 * crash mid-append) is ignored.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MemoryKvStore, type StoredEntry } from './memory/kv-store.ts';

const logLineSchema = z.union([
  z.object({ op: z.literal('put'), key: z.string(), wire: z.string(), revision: z.number().int() }),
  z.object({ op: z.literal('del'), key: z.string(), revision: z.number().int() }),
]);

const compactWhenLinesExceed = (liveKeys: number) => 1_000 + liveKeys * 4;

export class FileKvStore extends MemoryKvStore {
  private readonly logFile: string;
  private logLines = 0;

  private constructor(folder: string) {
    super();
    this.logFile = join(folder, 'kv.log');
  }

  static open(folder: string): FileKvStore {
    mkdirSync(folder, { recursive: true });
    const store = new FileKvStore(folder);
    store.replay();
    if (store.logLines > compactWhenLinesExceed(store.entries.size)) store.compact();
    return store;
  }

  protected override persistWrite(key: string, stored: StoredEntry): void {
    this.append({ op: 'put', key, wire: stored.wire, revision: stored.revision });
  }

  protected override persistDelete(key: string, revision: number): void {
    this.append({ op: 'del', key, revision });
  }

  private append(line: z.infer<typeof logLineSchema>): void {
    appendFileSync(this.logFile, `${JSON.stringify(line)}\n`);
    this.logLines += 1;
  }

  private replay(): void {
    if (!existsSync(this.logFile)) return;
    for (const text of readFileSync(this.logFile, 'utf8').split('\n')) {
      if (text.trim() === '') continue;
      const line = parseLogLine(text);
      if (!line) continue;
      this.logLines += 1;
      this.sequence = Math.max(this.sequence, line.revision);
      if (line.op === 'put') this.entries.set(line.key, { wire: line.wire, revision: line.revision });
      else this.entries.delete(line.key);
    }
  }

  /** Rewrites the log with only the live entries (temp file, fsync, rename). */
  private compact(): void {
    const temp = `${this.logFile}.compact`;
    const lines = [...this.entries].map(([key, stored]) =>
      JSON.stringify({ op: 'put', key, wire: stored.wire, revision: stored.revision }),
    );
    writeFileSync(temp, lines.length ? `${lines.join('\n')}\n` : '');
    const fd = openSync(temp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, this.logFile);
    this.logLines = lines.length;
  }
}

function parseLogLine(text: string): z.infer<typeof logLineSchema> | null {
  try {
    const parsed = logLineSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
