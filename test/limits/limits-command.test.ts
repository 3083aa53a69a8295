/** `pyexec limits check|show` and the channel limits in the approval request, through the real command. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp.ts';
import { peerLimits, writeLimitsFile } from './limits-fixture.ts';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

function configure(policy = 'deny_unlisted'): void {
  const file = writeLimitsFile(dir.path);
  writeFileSync(
    join(dir.path, 'pyexec.config.yaml'),
    `control_system:\n  writes_enabled: true\n  limits:\n    file: ${file}\n    policy: ${policy}\nexecution:\n  isolation: none\nservice:\n  executions_root: ${join(dir.path, 'executions')}\n`,
  );
}

describe('pyexec limits', () => {
  it('check: accepts a valid file with its counts and version', async () => {
    const result = await runCli(['limits', 'check', writeLimitsFile(dir.path), '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, channels: 3, patterns: 1, version: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('check: refuses an invalid file with exit 2, naming each channel and field', async () => {
    const file = writeLimitsFile(dir.path, { ...peerLimits, 'SR:BAD': { min_value: 'low', maximum: 3 } });
    const result = await runCli(['limits', 'check', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('channel "SR:BAD", field min_value: must be a number');
    expect(result.stderr).toContain('channel "SR:BAD", field maximum: is not a known field');
  });

  it("show: prints a channel's effective limits from the configured file, or what the policy does with it", async () => {
    configure();
    const family = await runCli(['limits', 'show', 'SR:MAG:QD4:CURRENT:SP'], { cwd: dir.path });
    expect(family.code).toBe(0);
    expect(family.stdout).toContain('SR:MAG:QD4:CURRENT:SP: 0 … 500, step ≤ 5, verify readback ±0.2% (from SR:MAG:*:CURRENT:SP)');
    const shown = await runCli(['limits', 'show', 'SR:RF:FREQ', '--json'], { cwd: dir.path });
    expect(JSON.parse(shown.stdout)).toMatchObject({ listed: true, limits: { writable: false, verification: { level: 'callback' } }, policy: 'deny_unlisted' });
    const unlisted = await runCli(['limits', 'show', 'BR:NOT:LISTED'], { cwd: dir.path });
    expect(unlisted.stdout).toContain('BR:NOT:LISTED: not in the limits database — writes are refused (deny_unlisted)');
  });

  it('shows each write with its channel, value, limits and verdict in the approval request', async () => {
    configure();
    const code = join(dir.path, 'set.py');
    writeFileSync(code, 'from epics import caput\ncaput("SR:MAG:QF1:CURRENT:SP", 150)\ncaput(context.pv, 2)\nresults = {}\n');
    const result = await runCli(['run', 'set the quadrupole', '--code', code], { cwd: dir.path, input: 'no: not today\n' });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Channel limits \(version [0-9a-f]{12}, deny_unlisted, .*channel_limits\.json\):/);
    expect(result.stderr).toContain('PASS     line 2: SR:MAG:QF1:CURRENT:SP = 150 — 10 … 200, step ≤ 20, verify callback');
    expect(result.stderr).toContain('RUN TIME line 3: (computed channel) = 2 — the channel name is computed: its limits are checked at run time, before the write');
  });
});
