/**
 * A loaded limits file: every channel's effective limits (its entry over
 * `defaults`, shallow, as the peer merges them), looked up by exact name
 * first, then by the most specific `*` pattern. The version is the sha256 of
 * the file's bytes: it names exactly what was checked, in analysis results
 * and in the audit of every execution that used it.
 */
import type { VerificationLevel } from './file-schema.ts';

export type UnlistedPolicy = 'deny_unlisted' | 'allow_unlisted';

/** Readback tolerance when an entry gives none: the peer's default (0.1 % of the written value). */
export const defaultTolerancePercent = 0.1;

export interface Verification {
  level: VerificationLevel;
  tolerance_percent?: number;
  tolerance_absolute?: number;
}

export interface ChannelLimits {
  min_value: number | null;
  max_value: number | null;
  max_step: number | null;
  writable: boolean;
  verification: Verification;
}

/** The entry that gave a channel its limits: its own name, or the pattern that matched it. */
export interface LimitsMatch {
  entry: string;
  pattern: boolean;
  limits: ChannelLimits;
}

export interface CompiledPattern {
  pattern: string;
  regex: RegExp;
  limits: ChannelLimits;
}

/** Literal characters of a pattern: more of them is more specific. */
function literalLength(pattern: string): number {
  return pattern.replaceAll('*', '').length;
}

/** `*` stands for any run of characters (possibly empty); everything else is literal. */
export function patternRegex(pattern: string): RegExp {
  const parts = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}

export function isPattern(name: string): boolean {
  return name.includes('*');
}

export class LimitsDatabase {
  /** Patterns from most to least specific; equally specific ones in file order. */
  readonly patterns: readonly CompiledPattern[];

  constructor(
    readonly version: string,
    readonly policy: UnlistedPolicy,
    readonly channels: ReadonlyMap<string, ChannelLimits>,
    patterns: readonly CompiledPattern[],
    /** Where it was read from, for messages. */
    readonly origin: string,
  ) {
    this.patterns = [...patterns].sort((a, b) => literalLength(b.pattern) - literalLength(a.pattern));
  }

  get entryCount(): number {
    return this.channels.size + this.patterns.length;
  }

  lookup(pv: string): LimitsMatch | null {
    const exact = this.channels.get(pv);
    if (exact) return { entry: pv, pattern: false, limits: exact };
    const found = this.patterns.find((candidate) => candidate.regex.test(pv));
    return found ? { entry: found.pattern, pattern: true, limits: found.limits } : null;
  }
}
