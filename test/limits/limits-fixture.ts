/** A limits file in the peer's shape, written to a temporary folder, for the limits tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const peerLimits = {
  _comment: 'Channel limits database (test)',
  _version: '1.0',
  defaults: { _comment: 'inherited by every channel', writable: true, verification: { level: 'callback' } },
  'SR:MAG:*:CURRENT:SP': {
    _comment: 'every storage ring magnet',
    min_value: 0,
    max_value: 500,
    max_step: 5,
    verification: { level: 'readback', tolerance_percent: 0.2, _comment: 'readback within 0.2 %' },
  },
  'SR:MAG:QF1:CURRENT:SP': { min_value: 10, max_value: 200, max_step: 20 },
  'SR:RF:FREQ': { writable: false },
  'LTS:H1:CurrentAO': { min_value: -5.0, max_value: 5.0, verification: { level: 'none' } },
};

export function writeLimitsFile(folder: string, content: unknown = peerLimits, name = 'channel_limits.json'): string {
  const path = join(folder, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}
