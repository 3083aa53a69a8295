/**
 * The verdict on one write the analyzer found, from the code alone: a literal
 * channel and value are checked against the channel's limits (listed,
 * writable, min, max); a computed channel or value is left to the kernel,
 * which checks it before the write. `max_step` needs the channel's current
 * value, so it is always checked at run time.
 *
 * The same rules run in the kernel (adapters/kernels/python/pyexec_limits.py):
 * a change here is a change there.
 */
import type { EffectiveLimits, LimitCheck, LimitName } from '../../protocol/channel-limits.ts';
import type { PvAccess } from '../../protocol/internal.ts';
import type { LimitsDatabase, LimitsMatch } from './database.ts';

type Verdict = Pick<LimitCheck, 'verdict' | 'limit' | 'message' | 'limits'>;

/**
 * What a write sets, as numbers (each element of a list); null when not
 * numeric. Unlike the peer, which lets a non-numeric value past min and max,
 * such a value is refused for a channel that has either: it cannot be shown
 * to be within them.
 */
export function numericValues(value: unknown): number[] | null {
  if (typeof value === 'number') return [value];
  if (typeof value === 'boolean') return [value ? 1 : 0];
  if (typeof value === 'string') {
    const trimmed = value.trim();
    const number = Number(trimmed);
    return trimmed !== '' && !Number.isNaN(number) ? [number] : null;
  }
  if (Array.isArray(value)) {
    const numbers = value.map(numericValues);
    return numbers.every((n): n is number[] => n !== null) ? numbers.flat() : null;
  }
  return null;
}

export function effectiveLimits(match: LimitsMatch): EffectiveLimits {
  return { entry: match.entry, ...match.limits };
}

function fail(limit: LimitName, message: string, limits: EffectiveLimits | null): Verdict {
  return { verdict: 'fail', limit, message, limits };
}

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function source(match: LimitsMatch): string {
  return match.pattern ? ` (limits of "${match.entry}")` : '';
}

export function checkWrite(database: LimitsDatabase, write: PvAccess): Verdict {
  if (write.pv === null) {
    return { verdict: 'run_time', limit: null, message: 'the channel name is computed: its limits are checked at run time, before the write', limits: null };
  }
  const channel = `"${write.pv}"`;
  const match = database.lookup(write.pv);
  if (match === null) {
    if (database.policy === 'allow_unlisted') {
      return { verdict: 'pass', limit: null, message: `${channel} is not in the limits database; unlisted channels are allowed without limits (allow_unlisted)`, limits: null };
    }
    return fail('unlisted', `${channel} is not in the limits database, and writes to unlisted channels are refused (deny_unlisted)`, null);
  }
  const limits = effectiveLimits(match);
  if (!match.limits.writable) return fail('writable', `${channel} is not writable in the limits database${source(match)}`, limits);
  if (write.value === null || write.value === undefined) {
    return { verdict: 'run_time', limit: null, message: `the value written to ${channel} is computed: its limits are checked at run time, before the write`, limits };
  }
  const value = shown(write.value);
  const numbers = numericValues(write.value);
  const { min_value: min, max_value: max, max_step: step } = match.limits;
  if (numbers === null && (min !== null || max !== null)) {
    return fail('not_numeric', `${value} for ${channel} is not a number, so its limits (${min} to ${max}) cannot be checked${source(match)}`, limits);
  }
  if (numbers !== null) {
    const low = numbers.find((n) => min !== null && n < min);
    if (low !== undefined) return fail('min_value', `${value} for ${channel} is below its minimum ${min}${source(match)}`, limits);
    const high = numbers.find((n) => max !== null && n > max);
    if (high !== undefined) return fail('max_value', `${value} for ${channel} is above its maximum ${max}${source(match)}`, limits);
  }
  const stepNote = step === null ? '' : `; a step of at most ${step} from its current value is checked at run time`;
  return { verdict: 'pass', limit: null, message: `${value} for ${channel} is within its limits${source(match)}${stepNote}`, limits };
}
