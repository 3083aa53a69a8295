import { describe, expect, it } from 'vitest';
import { analysisResultSchema } from '../../protocol/internal.ts';
import { parseConfig } from '../../config/index.ts';
import type { ConfigInput } from '../../config/schema.ts';
import { createAnalyzer } from '../../adapters/analysis/index.ts';

/** A facility's own client, described in the configuration the way docs/analysis.md shows. */
const facility: ConfigInput = {
  control_system: { writes_enabled: true },
  analysis: {
    libraries: [
      {
        library: 'facility',
        functions: {
          'facility.io.set_magnet': { access: 'write', pv: { arg: 0, keyword: 'name' }, value: { arg: 1, keyword: 'amps' } },
          'facility.io.get_magnet': { access: 'read', pv: { arg: 0 } },
        },
        classes: {
          'facility.Magnet': {
            name: { arg: 0, keyword: 'name' },
            methods: { ramp: { access: 'write', pv: 'self', value: { arg: 0 } }, current: { access: 'read', pv: 'self' } },
            read_attributes: ['setpoint'],
            write_attributes: ['setpoint'],
          },
        },
      },
    ],
  },
};

async function analyse(config: ConfigInput, code: string) {
  const analyzer = await createAnalyzer(parseConfig(config));
  return analysisResultSchema.parse(await analyzer.analyze(`${code}\nresults = {}\n`));
}

describe('libraries added in the configuration (analysis.libraries)', () => {
  it('resolves their functions through imports and aliases, with PVs, values and the library name', async () => {
    const code = ['from facility.io import set_magnet as sm, get_magnet', 'sm(amps=3.5, name="Q1")', 'get_magnet("Q2")'].join('\n');
    const result = await analyse(facility, code);
    expect(result.control_system.writes).toEqual([{ pv: 'Q1', function: 'facility.io.set_magnet', line: 2, library: 'facility', value: 3.5 }]);
    expect(result.control_system.reads).toEqual([{ pv: 'Q2', function: 'facility.io.get_magnet', line: 3, library: 'facility' }]);
    // resolved by the model, not by a pattern
    expect(result.findings.some((f) => f.rule.startsWith('control.pattern'))).toBe(false);
  });

  it('models their classes: methods, attribute reads and assignments', async () => {
    const code = ['import facility', 'm = facility.Magnet("Q3")', 'm.ramp(1.0)', 'm.current()', 'x = m.setpoint', 'm.setpoint = 2'].join('\n');
    const result = await analyse(facility, code);
    expect(result.control_system.writes.map((w) => [w.pv, w.function, w.value])).toEqual([
      ['Q3', 'facility.Magnet.ramp', 1],
      ['Q3', 'facility.Magnet.setpoint =', 2],
    ]);
    expect(result.control_system.reads.map((r) => [r.pv, r.function])).toEqual([
      ['Q3', 'facility.Magnet.current'],
      ['Q3', 'facility.Magnet.setpoint'],
    ]);
  });

  it('refuses a library description with a clear error naming the field', () => {
    const bad = { analysis: { libraries: [{ library: 'facility', functions: { 'facility.io.set': { access: 'poke', pv: 'self' } } }] } };
    expect(() => parseConfig(bad as unknown as ConfigInput)).toThrow(/analysis\.libraries\.0\.functions\.facility\.io\.set\.access/);
    const unqualified = { analysis: { libraries: [{ library: 'facility', functions: { set_magnet: { access: 'write', pv: 'none' } } }] } };
    expect(() => parseConfig(unqualified as ConfigInput)).toThrow(/analysis\.libraries\.0\.functions\.set_magnet/);
  });
});
