/**
 * Reads a limits file into a LimitsDatabase, or fails with every problem
 * found, each naming the channel and the field (a file with one bad entry is
 * refused whole: skipping the entry would silently drop that channel's
 * limits, which under `allow_unlisted` means no limits at all).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  channelEntrySchema,
  describeProblem,
  entryProblems,
  isValidEntry,
  type ChannelEntry,
  unknownFields,
  type LimitsFileProblem,
  type VerificationEntry,
} from './file-schema.ts';
import {
  defaultTolerancePercent,
  isPattern,
  LimitsDatabase,
  patternRegex,
  type ChannelLimits,
  type CompiledPattern,
  type UnlistedPolicy,
  type Verification,
} from './database.ts';

const defaultsKey = 'defaults';
/** Problems listed in an error message; the count says how many more there were. */
const shownProblems = 20;
/** With no verification anywhere, a write waits for the server's confirmation (the peer's fallback). */
const fallbackVerification: Verification = { level: 'callback' };

export class LimitsFileError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: readonly LimitsFileProblem[],
  ) {
    const shown = problems.slice(0, shownProblems).map((problem) => `  ${describeProblem(problem)}`);
    const more = problems.length > shownProblems ? [`  (and ${problems.length - shownProblems} more)`] : [];
    super([`invalid channel limits file ${origin}:`, ...shown, ...more].join('\n'));
    this.name = 'LimitsFileError';
  }
}

function verification(entry: VerificationEntry | undefined): Verification {
  if (entry === undefined) return fallbackVerification;
  const { level, tolerance_percent, tolerance_absolute } = entry;
  if (level !== 'readback') return { level };
  if (tolerance_absolute !== undefined) return { level, tolerance_absolute };
  return { level, tolerance_percent: tolerance_percent ?? defaultTolerancePercent };
}

/**
 * The channel's entry over `defaults`, as the peer merges them (shallow: a
 * channel's `verification` replaces the default's whole; its explicit null
 * removes a default limit). Field by field rather than by spreading the two
 * objects: spreading 10,000 parsed objects cost most of a load.
 */
function effective(defaults: ChannelEntry, entry: ChannelEntry): ChannelLimits {
  const field = <K extends keyof ChannelEntry>(key: K): ChannelEntry[K] => (entry[key] !== undefined ? entry[key] : defaults[key]);
  return {
    min_value: field('min_value') ?? null,
    max_value: field('max_value') ?? null,
    max_step: field('max_step') ?? null,
    writable: field('writable') ?? true,
    verification: verification(field('verification')),
  };
}

function rangeProblem(channel: string, limits: ChannelLimits): LimitsFileProblem | null {
  const { min_value: min, max_value: max } = limits;
  if (min === null || max === null || min <= max) return null;
  return { channel, field: 'min_value', message: `is greater than max_value (${min} > ${max}, after defaults)` };
}

function parseEntry(channel: string, value: unknown, problems: LimitsFileProblem[]): ChannelEntry | null {
  if (isValidEntry(value)) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ channel, field: null, message: 'must be an object of limits (min_value, max_value, max_step, writable, verification)' });
    return null;
  }
  const parsed = channelEntrySchema.safeParse(value);
  const found = [...(parsed.success ? [] : entryProblems(channel, parsed.error)), ...unknownFields(channel, value as Record<string, unknown>)];
  if (found.length === 0 && parsed.success) return parsed.data;
  problems.push(...found);
  return null;
}

export function parseLimitsText(text: string, policy: UnlistedPolicy, origin: string): LimitsDatabase {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new LimitsFileError(origin, [{ channel: null, field: null, message: `is not valid JSON (${(error as Error).message})` }]);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new LimitsFileError(origin, [{ channel: null, field: null, message: 'must be a JSON object whose keys are channel names' }]);
  }
  const problems: LimitsFileProblem[] = [];
  const raw = document as Record<string, unknown>;
  const defaults = defaultsKey in raw ? (parseEntry(defaultsKey, raw[defaultsKey], problems) ?? {}) : {};
  const channels = new Map<string, ChannelLimits>();
  const patterns: CompiledPattern[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (name.startsWith('_') || name === defaultsKey) continue;
    const entry = parseEntry(name, value, problems);
    if (entry === null) continue;
    const limits = effective(defaults, entry);
    const range = rangeProblem(name, limits);
    if (range) problems.push(range);
    if (isPattern(name)) patterns.push({ pattern: name, regex: patternRegex(name), limits });
    else channels.set(name, limits);
  }
  if (problems.length > 0) throw new LimitsFileError(origin, problems);
  const version = createHash('sha256').update(text, 'utf8').digest('hex');
  return new LimitsDatabase(version, policy, channels, patterns, origin);
}

export function loadLimitsFile(path: string, policy: UnlistedPolicy): LimitsDatabase {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new LimitsFileError(path, [{ channel: null, field: null, message: `cannot be read (${(error as Error).message})` }]);
  }
  return parseLimitsText(text, policy, path);
}
