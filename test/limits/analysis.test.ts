import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../adapters/analysis/index.ts';
import { checkWritesAgainstLimits } from '../../adapters/limits/analysis-step.ts';
import { LimitsSource } from '../../adapters/limits/source.ts';
import { analysisResultSchema, type AnalysisResult, type PvAccess } from '../../protocol/internal.ts';
import { parseConfig } from '../../config/index.ts';
import { tempDir } from '../support/temp.ts';
import { writeLimitsFile } from './limits-fixture.ts';

type Policy = 'deny_unlisted' | 'allow_unlisted';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

const write = (pv: string | null, value: PvAccess['value'], line = 3): PvAccess => ({ pv, function: 'epics.caput', line, library: 'pyepics', value });

function step(writes: PvAccess[], policy: Policy = 'deny_unlisted') {
  return checkWritesAgainstLimits(LimitsSource.open(writeLimitsFile(dir.path), policy), writes);
}

async function analyse(code: string, policy: Policy = 'deny_unlisted'): Promise<AnalysisResult> {
  const config = parseConfig({ control_system: { writes_enabled: true, limits: { file: writeLimitsFile(dir.path), policy } } });
  return analysisResultSchema.parse(await (await createAnalyzer(config)).analyze(code));
}

describe('channel limits at analysis', () => {
  it('passes a literal value within the limits, and says the step is checked at run time', () => {
    const result = step([write('SR:MAG:QF1:CURRENT:SP', 150)]);
    expect(result.findings).toEqual([]);
    expect(result.checks.writes[0]).toMatchObject({
      verdict: 'pass',
      limit: null,
      value: 150,
      limits: { entry: 'SR:MAG:QF1:CURRENT:SP', min_value: 10, max_value: 200, max_step: 20, writable: true },
    });
    expect(result.checks.writes[0]?.message).toContain('a step of at most 20 from its current value is checked at run time');
  });

  it('blocks a value below the minimum or above the maximum, naming the channel, the value and the limit', () => {
    const result = step([write('SR:MAG:QF1:CURRENT:SP', 5, 3), write('SR:MAG:QD4:CURRENT:SP', 520, 4), write('LTS:H1:CurrentAO', [1, -6], 5)]);
    expect(result.findings.map((f) => [f.rule, f.severity, f.line, f.message])).toEqual([
      ['channel_limits.min_value', 'blocking', 3, '5 for "SR:MAG:QF1:CURRENT:SP" is below its minimum 10'],
      ['channel_limits.max_value', 'blocking', 4, '520 for "SR:MAG:QD4:CURRENT:SP" is above its maximum 500 (limits of "SR:MAG:*:CURRENT:SP")'],
      ['channel_limits.min_value', 'blocking', 5, '[1,-6] for "LTS:H1:CurrentAO" is below its minimum -5'],
    ]);
    expect(result.checks.writes.map((c) => c.verdict)).toEqual(['fail', 'fail', 'fail']);
  });

  it('blocks a value that is not a number for a channel with numeric limits', () => {
    expect(step([write('LTS:H1:CurrentAO', 'high')]).findings[0]).toMatchObject({ rule: 'channel_limits.not_numeric' });
    expect(step([write('LTS:H1:CurrentAO', '4.5')]).findings).toEqual([]);
  });

  it('lists computed channels and values as checked at run time', () => {
    const result = step([write(null, 1), write('SR:MAG:QF1:CURRENT:SP', null)]);
    expect(result.findings).toEqual([]);
    expect(result.checks.writes.map((c) => c.verdict)).toEqual(['run_time', 'run_time']);
    expect(result.reasoning.join(' ')).toContain('2 checked at run time (computed channel or value)');
  });

  it('blocks a non-writable channel and an unlisted one under deny_unlisted; allows the unlisted one under allow_unlisted', () => {
    const denied = step([write('SR:RF:FREQ', 1), write('BR:UNKNOWN:SP', 1)]);
    expect(denied.findings.map((f) => [f.rule, f.message])).toEqual([
      ['channel_limits.writable', '"SR:RF:FREQ" is not writable in the limits database'],
      ['channel_limits.unlisted', '"BR:UNKNOWN:SP" is not in the limits database, and writes to unlisted channels are refused (deny_unlisted)'],
    ]);
    const allowed = step([write('SR:RF:FREQ', 1), write('BR:UNKNOWN:SP', 1)], 'allow_unlisted');
    expect(allowed.findings.map((f) => f.rule)).toEqual(['channel_limits.writable']);
    expect(allowed.checks.writes[1]).toMatchObject({ verdict: 'pass', limits: null });
    expect(allowed.checks.policy).toBe('allow_unlisted');
  });

  it('sends the code back to the generator through the analyzer, and carries the verdicts in limit_checks', async () => {
    const code = 'from epics import caput\nimport random\ncaput("SR:RF:FREQ", 1)\ncaput("BR:UNKNOWN:SP", 2)\ncaput("SR:MAG:Q" + str(random.randint(1, 9)) + ":CURRENT:SP", 3)\nresults = {}\n';
    const result = await analyse(code);
    expect(result.passed).toBe(false);
    const limitFindings = result.findings.filter((f) => f.rule.startsWith('channel_limits.'));
    expect(limitFindings.map((f) => [f.rule, f.line, f.excerpt])).toEqual([
      ['channel_limits.writable', 3, 'caput("SR:RF:FREQ", 1)'],
      ['channel_limits.unlisted', 4, 'caput("BR:UNKNOWN:SP", 2)'],
    ]);
    expect(result.reasoning.join(' ')).toContain('sent back to the code generator');
    expect(result.limit_checks).toMatchObject({ policy: 'deny_unlisted', file: expect.stringContaining('channel_limits.json') });
    expect(result.limit_checks?.version).toMatch(/^[0-9a-f]{64}$/);
    expect(result.limit_checks?.writes.map((c) => [c.pv, c.verdict])).toEqual([
      ['SR:RF:FREQ', 'fail'],
      ['BR:UNKNOWN:SP', 'fail'],
      [null, 'run_time'],
    ]);
  });

  it('checks the literal values the analyzer reads from the code (caput, PV.put)', async () => {
    const code = 'from epics import caput, PV\ncaput("SR:MAG:QF1:CURRENT:SP", 150)\nPV("SR:MAG:QD4:CURRENT:SP").put(520)\nresults = {}\n';
    const result = await analyse(code);
    expect(result.passed).toBe(false);
    expect(result.limit_checks?.writes.map((c) => [c.line, c.pv, c.value, c.verdict, c.limit])).toEqual([
      [2, 'SR:MAG:QF1:CURRENT:SP', 150, 'pass', null],
      [3, 'SR:MAG:QD4:CURRENT:SP', 520, 'fail', 'max_value'],
    ]);
    expect(result.findings.filter((f) => f.severity === 'blocking').map((f) => [f.line, f.message, f.excerpt])).toEqual([
      [3, '520 for "SR:MAG:QD4:CURRENT:SP" is above its maximum 500 (limits of "SR:MAG:*:CURRENT:SP")', 'PV("SR:MAG:QD4:CURRENT:SP").put(520)'],
    ]);
  });

  it('passes the same code under allow_unlisted once the non-writable write is gone', async () => {
    const result = await analyse('from epics import caput\ncaput("BR:UNKNOWN:SP", 2)\nresults = {}\n', 'allow_unlisted');
    expect(result).toMatchObject({ passed: true, requires_approval: true, execution_mode: 'write_access' });
    expect(result.reasoning.join(' ')).toMatch(/Writes checked against the channel limits \(version [0-9a-f]{12}\): 1 within limits\./);
  });

  it('blocks every write while the limits file is invalid (no fallback to old limits or to none)', () => {
    const path = writeLimitsFile(dir.path);
    const source = LimitsSource.open(path, 'allow_unlisted');
    writeLimitsFile(dir.path, { 'SR:RF:FREQ': { writable: 'no' } });
    const result = checkWritesAgainstLimits(source, [write('BR:UNKNOWN:SP', 1)]);
    expect(result.checks).toMatchObject({ version: null, unavailable: expect.stringContaining('channel "SR:RF:FREQ", field writable') });
    expect(result.findings.map((f) => [f.rule, f.message])).toEqual([
      ['channel_limits.unavailable', expect.stringMatching(/^the channel limits file cannot be used, so every write is refused: invalid channel limits file/)],
    ]);
  });

  it('leaves the analysis result without limit_checks when no limits file is configured', async () => {
    const analyzer = await createAnalyzer(parseConfig({ control_system: { writes_enabled: true } }));
    expect((await analyzer.analyze('from epics import caput\ncaput("X", 1)\nresults = {}\n')).limit_checks).toBeUndefined();
  });
});
