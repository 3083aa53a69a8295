/**
 * Channel limits in the protocol (docs/limits.md): the verdict on each write
 * at analysis (`AnalysisResult.limit_checks`) and what happened to each write
 * at run time (`ExecuteResult.channel_limits`). Both name the limits file's
 * version (sha256 of its bytes) so a review, a notebook or an audit can say
 * exactly which limits were applied.
 */
import { z } from 'zod';

const limitNames = ['min_value', 'max_value', 'max_step', 'writable', 'unlisted', 'unavailable', 'not_numeric', 'step_unreadable', 'raw_put'] as const;
/** The limit a write failed: a field of the file, or `unlisted`, `unavailable` (no valid file), ... */
export const limitNameSchema = z.enum(limitNames);
export type LimitName = z.infer<typeof limitNameSchema>;

export const verificationSchema = z.object({
  level: z.enum(['none', 'callback', 'readback']),
  tolerance_percent: z.number().nonnegative().optional(),
  tolerance_absolute: z.number().nonnegative().optional(),
});

/** A channel's effective limits and the entry they came from (its name, or a `*` pattern). */
export const effectiveLimitsSchema = z.object({
  entry: z.string(),
  min_value: z.number().nullable(),
  max_value: z.number().nullable(),
  max_step: z.number().nullable(),
  writable: z.boolean(),
  verification: verificationSchema,
});
export type EffectiveLimits = z.infer<typeof effectiveLimitsSchema>;

const databaseFields = {
  /** sha256 of the limits file; null when the file was unavailable (every write refused). */
  version: z.string().nullable(),
  file: z.string(),
  policy: z.enum(['deny_unlisted', 'allow_unlisted']),
  /** Why the file could not be used, when it could not. */
  unavailable: z.string().optional(),
};

/**
 * One write found by the analyzer, checked: `pass`, `fail` (a blocking
 * finding) or `run_time` (its channel or value is computed: checked in the
 * kernel before the write).
 */
export const limitCheckSchema = z.object({
  pv: z.string().nullable(),
  function: z.string(),
  line: z.number().int().nonnegative(),
  value: z.unknown(),
  verdict: z.enum(['pass', 'fail', 'run_time']),
  /** The limit that failed, for `fail`. */
  limit: limitNameSchema.nullable(),
  /** In an operator's words: the channel, the value and the limit. */
  message: z.string(),
  limits: effectiveLimitsSchema.nullable(),
});
export type LimitCheck = z.infer<typeof limitCheckSchema>;

export const limitChecksSchema = z.object({ ...databaseFields, writes: z.array(limitCheckSchema) });
export type LimitChecks = z.infer<typeof limitChecksSchema>;

/** What the kernel did with one write call: refused before the network, written (and verified), or failed. */
export const channelWriteSchema = z.object({
  pv: z.string(),
  value: z.unknown(),
  function: z.string(),
  outcome: z.enum(['refused', 'written', 'failed']),
  limit: limitNameSchema.nullable(),
  message: z.string(),
  /** The value read before the write (for max_step), when one was read. */
  current: z.unknown().optional(),
  verification: z
    .object({
      level: z.enum(['none', 'callback', 'readback']),
      /** null for `none` (nothing was checked). */
      verified: z.boolean().nullable(),
      readback: z.unknown().optional(),
      tolerance: z.number().optional(),
      message: z.string(),
    })
    .optional(),
  at: z.string(),
});
export type ChannelWrite = z.infer<typeof channelWriteSchema>;

export const channelLimitsReportSchema = z.object({ ...databaseFields, writes: z.array(channelWriteSchema) });
export type ChannelLimitsReport = z.infer<typeof channelLimitsReportSchema>;
