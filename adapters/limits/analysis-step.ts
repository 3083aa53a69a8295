/**
 * The channel limits step of the analysis: each write the analyzer found is
 * checked (write-check.ts); a failed check is a blocking finding that names
 * the channel, the value and the limit, so the code goes back to the
 * generator like any other; computed writes are listed as checked at run
 * time. The per-write verdicts travel in the analysis result (`limit_checks`)
 * for the approval prompt and the review page.
 */
import type { LimitChecks } from '../../protocol/channel-limits.ts';
import type { Finding } from '../../protocol/public.ts';
import type { PvAccess } from '../../protocol/internal.ts';
import { databaseFields, type LimitsSource, type LimitsState } from './source.ts';
import { checkWrite } from './write-check.ts';

export interface LimitsStepResult {
  /** Blocking findings, without excerpt (the analyzer adds the line's text). */
  findings: Finding[];
  checks: LimitChecks;
  reasoning: string[];
}

function checksOf(state: LimitsState, writes: readonly PvAccess[]): LimitChecks['writes'] {
  return writes.map((write) => {
    const base = { pv: write.pv, function: write.function, line: write.line, value: write.value ?? null };
    if (state.kind === 'loaded') return { ...base, ...checkWrite(state.database, write) };
    const message = `the channel limits file cannot be used, so every write is refused: ${state.reason}`;
    return { ...base, verdict: 'fail' as const, limit: 'unavailable' as const, message, limits: null };
  });
}

export function checkWritesAgainstLimits(source: LimitsSource, writes: readonly PvAccess[]): LimitsStepResult {
  const state = source.current();
  const checks: LimitChecks = { ...databaseFields(state), writes: checksOf(state, writes) };
  const findings: Finding[] = checks.writes
    .filter((check) => check.verdict === 'fail')
    .map((check) => ({ rule: `channel_limits.${check.limit ?? 'failed'}`, severity: 'blocking', message: check.message, line: check.line, column: 0, excerpt: '' }));
  const atRunTime = checks.writes.filter((check) => check.verdict === 'run_time').length;
  const reasoning: string[] = [];
  if (writes.length > 0 && state.kind === 'loaded') {
    const version = state.database.version.slice(0, 12);
    const passed = checks.writes.filter((check) => check.verdict === 'pass').length;
    const parts = [`${passed} within limits`, findings.length > 0 ? `${findings.length} outside them` : '', atRunTime > 0 ? `${atRunTime} checked at run time (computed channel or value)` : ''];
    reasoning.push(`Writes checked against the channel limits (version ${version}): ${parts.filter(Boolean).join(', ')}.`);
  }
  return { findings, checks, reasoning };
}
