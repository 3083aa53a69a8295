/** What the terminal shows of channel writes after a run. */
import { describe, expect, it } from 'vitest';
import { channelWriteLines } from '../../bin/limit-checks-view.ts';
import type { ChannelLimitsReport } from '../../protocol/channel-limits.ts';

const at = '2026-12-02T10:00:00.000Z';
const report: ChannelLimitsReport = {
  version: 'ab'.repeat(32),
  file: '/etc/limits.json',
  policy: 'deny_unlisted',
  writes: [
    { pv: 'SR:Q1', value: 110, function: 'epics.ca.put', outcome: 'written', limit: null, message: 'written', verification: { level: 'callback', verified: true, message: 'the server confirmed the put' }, at },
    { pv: 'SR:Q2', value: 104, function: 'epics.ca.put', outcome: 'written', limit: null, message: 'written', verification: { level: 'readback', verified: false, readback: 103, tolerance: 0.2, message: 'readback 103 is outside of the written 104 (tolerance 0.2)' }, at },
    { pv: 'SR:Q3', value: 520, function: 'epics.ca.put', outcome: 'refused', limit: 'max_value', message: '520 for "SR:Q3" is above its maximum 500', at },
  ],
};

describe('channel writes after a run', () => {
  it('lists each write with its outcome and what its verification found', () => {
    expect(channelWriteLines(report)).toEqual([
      'Channel writes (limits version abababababab):',
      '  written  SR:Q1 = 110 — verified (callback: the server confirmed the put)',
      '  written  SR:Q2 = 104 — NOT VERIFIED (readback: readback 103 is outside of the written 104 (tolerance 0.2))',
      '  refused  SR:Q3 = 520 — 520 for "SR:Q3" is above its maximum 500',
    ]);
    expect(channelWriteLines({ ...report, writes: [] })).toEqual([]);
  });
});
