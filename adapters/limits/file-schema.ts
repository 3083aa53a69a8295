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

/** Documentation keys (`_comment`, `_version`, ...) are allowed anywhere and ignored. */
function withoutMetadata(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith('_')));
}

export const verificationSchema = z.preprocess(
  withoutMetadata,
  z
    .object({
      level: z.enum(verificationLevels, { error: `must be one of ${verificationLevels.join(', ')}` }),
      /** Readback: allowed difference as a percentage of the written value. */
      tolerance_percent: finite.nonnegative('must not be negative').optional(),
      /** Readback: allowed absolute difference (wins over tolerance_percent when both are given). */
      tolerance_absolute: finite.nonnegative('must not be negative').optional(),
    })
    .strict(),
);
export type VerificationEntry = z.output<typeof verificationSchema>;

/** One channel's entry, or `defaults`: every field optional, inherited from `defaults` when absent. */
export const channelEntrySchema = z.preprocess(
  withoutMetadata,
  z
    .object({
      min_value: nullableNumber.optional(),
      max_value: nullableNumber.optional(),
      /** Largest change from the channel's current value in one write (read before the write, at run time). */
      max_step: finite.positive('must be greater than 0').nullable().optional(),
      writable: z.boolean({ error: 'must be true or false' }).optional(),
      verification: verificationSchema.optional(),
    })
    .strict(),
);
export type ChannelEntry = z.output<typeof channelEntrySchema>;

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
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.map(String).join('.');
      const fields = issue.keys.map((key) => (at ? `${at}.${key}` : key));
      const known = at === 'verification' ? 'level, tolerance_percent, tolerance_absolute' : 'min_value, max_value, max_step, writable, verification';
      return { channel, field: fields.join(', '), message: `is not a known field (known: ${known}; keys starting with "_" are comments)` };
    }
    return { channel, field: issue.path.map(String).join('.') || null, message: issue.message };
  });
}
