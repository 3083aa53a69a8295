/**
 * The channel limits file as the peer (Osprey's python executor) writes it,
 * read as is: one JSON object whose keys are channel names (or `*` patterns
 * standing for a family), `defaults` inherited by every channel, and
 * `_`-prefixed keys (`_comment`, `_version`, ...) that are documentation only,
 * at the top and inside an entry.
 *
 * ```json
 * { "_comment": "...",
 *   "defaults": { "writable": true, "verification": { "level": "callback" } },
 *   "SR:MAG:*:CURRENT:SP": { "min_value": 0, "max_value": 500, "max_step": 5,
 *                             "verification": { "level": "readback", "tolerance_percent": 0.2 } } }
 * ```
 *
 * An unknown field fails the load rather than being ignored: a limits file is
 * a safety artifact, and a key the loader does not understand is an intent
 * that would never be applied.
 */
import { z } from 'zod';

export const verificationLevels = ['none', 'callback', 'readback'] as const;
export type VerificationLevel = (typeof verificationLevels)[number];

const finite = z.number({ error: 'must be a number' }).finite('must be a finite number');
const nullableNumber = finite.nullable();

const verificationFields = ['level', 'tolerance_percent', 'tolerance_absolute'] as const;
const entryFields = ['min_value', 'max_value', 'max_step', 'writable', 'verification'] as const;

// Objects keep their other keys (`catchall`) so that `_comment` and friends
// pass; unknownFields() refuses the rest. (A preprocess that copied each
// object without them cost 10,000 copies per load of a big file.)
export const verificationSchema = z
  .object({
    level: z.enum(verificationLevels, { error: `must be one of ${verificationLevels.join(', ')}` }),
    /** Readback: allowed difference as a percentage of the written value. */
    tolerance_percent: finite.nonnegative('must not be negative').optional(),
    /** Readback: allowed absolute difference (wins over tolerance_percent when both are given). */
    tolerance_absolute: finite.nonnegative('must not be negative').optional(),
  })
  .catchall(z.unknown());
export type VerificationEntry = z.output<typeof verificationSchema>;

/** One channel's entry, or `defaults`: every field optional, inherited from `defaults` when absent. */
export const channelEntrySchema = z
  .object({
    min_value: nullableNumber.optional(),
    max_value: nullableNumber.optional(),
    /** Largest change from the channel's current value in one write (read before the write, at run time). */
    max_step: finite.positive('must be greater than 0').nullable().optional(),
    writable: z.boolean({ error: 'must be true or false' }).optional(),
    verification: verificationSchema.optional(),
  })
  .catchall(z.unknown());
export type ChannelEntry = z.output<typeof channelEntrySchema>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFinite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const absentOr = (value: unknown, test: (v: unknown) => boolean) => value === undefined || test(value);
const onlyKnown = (object: Record<string, unknown>, known: readonly string[]) => Object.keys(object).every((key) => key.startsWith('_') || known.includes(key));

function isValidVerification(value: unknown): boolean {
  return (
    isObject(value) &&
    onlyKnown(value, verificationFields) &&
    (verificationLevels as readonly unknown[]).includes(value.level) &&
    absentOr(value.tolerance_percent, (v) => isFinite(v) && v >= 0) &&
    absentOr(value.tolerance_absolute, (v) => isFinite(v) && v >= 0)
  );
}

/**
 * The fast path of a load: true only for an entry channelEntrySchema accepts
 * with no unknown field (test/limits checks the two agree). A file of 10,000
 * channels then loads without 10,000 zod parses; zod runs on the entries
 * this refuses, to say what is wrong with them.
 */
export function isValidEntry(value: unknown): value is ChannelEntry {
  return (
    isObject(value) &&
    onlyKnown(value, entryFields) &&
    absentOr(value.min_value, (v) => v === null || isFinite(v)) &&
    absentOr(value.max_value, (v) => v === null || isFinite(v)) &&
    absentOr(value.max_step, (v) => v === null || (isFinite(v) && v > 0)) &&
    absentOr(value.writable, (v) => typeof v === 'boolean') &&
    absentOr(value.verification, isValidVerification)
  );
}

function unknownKeys(object: object, known: readonly string[], prefix: string): string[] {
  return Object.keys(object)
    .filter((key) => !key.startsWith('_') && !known.includes(key))
    .map((key) => prefix + key);
}

/** Fields of a parsed entry that the file format does not know (`_` keys are comments, not fields). */
export function unknownFields(channel: string, entry: Record<string, unknown>): LimitsFileProblem[] {
  const problems: LimitsFileProblem[] = [];
  const top = unknownKeys(entry, entryFields, '');
  if (top.length > 0) problems.push({ channel, field: top.join(', '), message: `is not a known field (known: ${entryFields.join(', ')}; keys starting with "_" are comments)` });
  const nested = isObject(entry.verification) ? unknownKeys(entry.verification, verificationFields, 'verification.') : [];
  if (nested.length > 0) problems.push({ channel, field: nested.join(', '), message: `is not a known field (known: ${verificationFields.join(', ')}; keys starting with "_" are comments)` });
  return problems;
}

/** One problem of a limits file: the channel (or `defaults`), the field and what is wrong. */
export interface LimitsFileProblem {
  channel: string | null;
  field: string | null;
  message: string;
}

export function describeProblem(problem: LimitsFileProblem): string {
  const where = [problem.channel === null ? null : `channel "${problem.channel}"`, problem.field].filter(Boolean).join(', field ');
  return where ? `${where}: ${problem.message}` : problem.message;
}

/** zod issues of one entry as problems naming the channel and the field. */
export function entryProblems(channel: string, error: z.ZodError): LimitsFileProblem[] {
  return error.issues.map((issue) => ({ channel, field: issue.path.map(String).join('.') || null, message: issue.message }));
}
