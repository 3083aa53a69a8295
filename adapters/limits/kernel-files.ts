/**
 * What the executor and a write-mode kernel exchange about channel limits,
 * as files of the attempt in the execution folder (pyexec_limits.py reads
 * and writes them):
 *
 * - `attempts/NN_channel_limits.json`: the effective limits, written before
 *   the code runs: every channel with `defaults` applied, the patterns in the
 *   order they are tried, the policy, the version; or why the file is
 *   unavailable (every write is then refused). A sandboxed kernel, whose
 *   staging folder has no copy, is handed the text in its job spec.
 * - `attempts/NN_channel_writes.jsonl`: one line per write call, appended by
 *   the kernel as it happens (so a crash or a timeout keeps what was done):
 *   refused, or written with its verification. Written by a process that runs
 *   generated code, so each line is parsed with zod and a bad line is dropped.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { channelWriteSchema, type ChannelWrite } from '../../protocol/channel-limits.ts';
import { attemptsDir } from '../store/layout.ts';
import type { Logger } from '../../logging/logger.ts';
import { databaseFields, type LimitsState } from './source.ts';

const number = (attempt: number) => String(attempt).padStart(2, '0');

export function kernelLimitsPath(folder: string, attempt: number): string {
  return join(folder, attemptsDir, `${number(attempt)}_channel_limits.json`);
}

export function channelWritesPath(folder: string, attempt: number): string {
  return join(folder, attemptsDir, `${number(attempt)}_channel_writes.jsonl`);
}

/** The JSON the kernel reads (pyexec_limits.Limits). */
export function kernelLimitsDocument(state: LimitsState): string {
  if (state.kind === 'unavailable') return JSON.stringify({ ...databaseFields(state), channels: {}, patterns: [] });
  const { database } = state;
  return JSON.stringify({
    ...databaseFields(state),
    channels: Object.fromEntries(database.channels),
    patterns: database.patterns.map(({ pattern, limits }) => ({ pattern, limits })),
  });
}

/** The attempt's limits as written for the kernel, or null (no limits database): a sandboxed run is handed them in its spec. */
export function readKernelLimits(folder: string, attempt: number): string | null {
  try {
    return readFileSync(kernelLimitsPath(folder, attempt), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The kernel's record of the attempt's writes; none when it wrote nothing (or never started). */
export async function readChannelWrites(path: string, logger: Logger): Promise<ChannelWrite[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const writes: ChannelWrite[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    const write = channelWriteSchema.safeParse(parsed);
    if (write.success) writes.push(write.data);
    else logger.warn({ path, line: line.slice(0, 200) }, 'invalid line in the channel writes record: dropped');
  }
  return writes;
}
