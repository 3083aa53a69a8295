/**
 * The channel limits part of the approval request at the terminal: per write,
 * the channel, the value, its limits and whether it passes (or is checked at
 * run time, its channel or value being computed), under the version of the
 * limits file that was applied.
 */
import type { ChannelLimitsReport, EffectiveLimits, LimitChecks } from '../protocol/channel-limits.ts';

export interface Painters {
  bold: (text: string) => string;
  red: (text: string) => string;
  green: (text: string) => string;
  yellow: (text: string) => string;
}

const plain: Painters = { bold: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t };

export function describeLimits(limits: EffectiveLimits | null): string {
  if (limits === null) return 'no limits';
  const parts: string[] = [];
  if (!limits.writable) parts.push('not writable');
  const { min_value: min, max_value: max } = limits;
  if (min !== null || max !== null) parts.push(`${min ?? '−∞'} … ${max ?? '+∞'}`);
  if (limits.max_step !== null) parts.push(`step ≤ ${limits.max_step}`);
  const { level, tolerance_absolute: absolute, tolerance_percent: percent } = limits.verification;
  const tolerance = absolute !== undefined ? ` ±${absolute}` : percent !== undefined ? ` ±${percent}%` : '';
  parts.push(`verify ${level}${tolerance}`);
  const from = limits.entry.includes('*') ? ` (from ${limits.entry})` : '';
  return `${parts.join(', ')}${from}`;
}

export function limitCheckLines(checks: LimitChecks, paint: Painters = plain): string[] {
  const version = checks.version === null ? 'unavailable' : `version ${checks.version.slice(0, 12)}`;
  const lines = [paint.bold(`Channel limits (${version}, ${checks.policy}, ${checks.file}):`)];
  if (checks.unavailable) lines.push(`  ${paint.red(checks.unavailable)}`);
  for (const check of checks.writes) {
    const mark = check.verdict === 'pass' ? paint.green('PASS    ') : check.verdict === 'fail' ? paint.red('FAIL    ') : paint.yellow('RUN TIME');
    const channel = check.pv ?? '(computed channel)';
    const value = check.value === null || check.value === undefined ? '(computed value)' : JSON.stringify(check.value);
    const detail = check.verdict === 'pass' ? describeLimits(check.limits) : check.message;
    lines.push(`  ${mark} line ${check.line}: ${channel} = ${value} — ${detail}`);
  }
  return lines;
}

/** After the run: each write call the kernel made under the limits, refused or written, and what its verification found. */
export function channelWriteLines(report: ChannelLimitsReport, paint: Painters = plain): string[] {
  if (report.writes.length === 0) return [];
  const version = report.version === null ? 'unavailable' : `version ${report.version.slice(0, 12)}`;
  const lines = [paint.bold(`Channel writes (limits ${version}):`)];
  for (const write of report.writes) {
    const head = `${write.pv || write.function} = ${JSON.stringify(write.value)}`;
    if (write.outcome !== 'written') {
      lines.push(`  ${paint.red(write.outcome.padEnd(8))} ${head} — ${write.message}`);
      continue;
    }
    const check = write.verification;
    const verdict = !check || check.verified === null ? paint.yellow('unverified') : check.verified ? paint.green('verified') : paint.red('NOT VERIFIED');
    lines.push(`  ${paint.green('written ')} ${head} — ${verdict}${check ? ` (${check.level}: ${check.message})` : ''}`);
  }
  return lines;
}
