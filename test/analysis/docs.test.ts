import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtInLibraries, modelledCalls } from '../../adapters/analysis/control/index.ts';
import { ruleIds, rules } from '../../adapters/analysis/rules.ts';

const doc = readFileSync(new URL('../../docs/analysis.md', import.meta.url), 'utf8');

describe('docs/analysis.md', () => {
  it('lists every rule with its default severity', () => {
    for (const id of ruleIds) expect(doc).toMatch(new RegExp(`\\| \`${id.replace('.', '\\.')}\` \\| ${rules[id].severity} \\|`));
  });

  it.each(builtInLibraries.map((library) => [library.library, library] as const))('lists every call of the %s table, and how many there are', (name, library) => {
    expect(doc).toContain(`#### ${name} (${modelledCalls(library)} modelled calls)`);
    const names = [
      ...Object.keys(library.functions ?? {}),
      ...Object.entries(library.classes ?? {}).flatMap(([cls, spec]) => Object.keys(spec.methods).map((method) => `${cls}.${method}`)),
    ];
    expect(names.filter((call) => !doc.includes(`\`${call}\``))).toEqual([]);
  });
});
