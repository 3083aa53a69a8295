/**
 * The audit records of an attempt's writes under channel limits, one per
 * write call the kernel made: refused (with the limit and why) or written
 * (with its verification). They follow the attempt's `execution_end`, which
 * names the limits version used.
 */
import type { ChannelLimitsReport } from '../../protocol/channel-limits.ts';
import type { AuditEntry } from '../audit/audit-trail.ts';

export function channelWriteEntries(report: ChannelLimitsReport | undefined): AuditEntry[] {
  if (!report) return [];
  return report.writes.map(({ at, outcome, ...write }) => ({
    event: outcome === 'refused' ? 'channel_write_refused' : outcome === 'written' ? 'channel_write' : 'channel_write_failed',
    ...write,
    limits_version: report.version,
    // The kernel's clock; the record's own `at` is when it was audited.
    happened_at: at,
  }));
}
