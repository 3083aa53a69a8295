import { describe, expect, it } from 'vitest';
import { createAnalyzer, defineRuleFamily, rule, ruleIds } from '../../adapters/analysis/index.ts';
import { parseConfig } from '../../config/index.ts';

/** A facility's own rule: its beam-dump helper may only be called by hand. */
const beamDump = defineRuleFamily('beam-dump', { 'facility.beam_dump': rule('blocking', 'calls the beam dump') }, ({ report }) => ({
  call(node, _value, qname) {
    if (qname !== 'facility.safety.dump_beam') return false;
    report('facility.beam_dump', `calls ${qname}`, node);
    return true;
  },
}));

const code = 'from facility.safety import dump_beam\ndump_beam()\nresults = {}\n';

describe('rule families registered as plugins', () => {
  it('runs a registered family and reports its rule at its default severity', async () => {
    const analyzer = await createAnalyzer(parseConfig({}), { ruleFamilies: [beamDump] });
    const result = await analyzer.analyze(code);
    expect(result.findings).toContainEqual(expect.objectContaining({ rule: 'facility.beam_dump', severity: 'blocking', line: 2 }));
    expect(result.passed).toBe(false);
    // without the family the same code passes: nothing built in knows the helper
    expect((await (await createAnalyzer(parseConfig({}))).analyze(code)).passed).toBe(true);
  });

  it("lets the configuration set a registered family's severity, and still refuses unknown ids", async () => {
    const config = parseConfig({ analysis: { rule_severity: { 'facility.beam_dump': 'warning' } } });
    const analyzer = await createAnalyzer(config, { ruleFamilies: [beamDump] });
    const result = await analyzer.analyze(code);
    expect(result.findings).toContainEqual(expect.objectContaining({ rule: 'facility.beam_dump', severity: 'warning' }));
    expect(result.passed).toBe(true);
    await expect(createAnalyzer(config)).rejects.toThrow(/facility\.beam_dump: unknown rule id/);
  });

  it('refuses a family that declares a rule id another family declares', async () => {
    const clash = defineRuleFamily('clash', { 'control.write': rule('info', 'a second definition') }, () => ({}));
    await expect(createAnalyzer(parseConfig({}), { ruleFamilies: [clash] })).rejects.toThrow(/clash declares control\.write, which control declares already/);
    expect(ruleIds).toContain('control.write');
  });
});
