import { beforeAll, describe, expect, it } from 'vitest';
import { analysisResultSchema, type AnalysisResult, type PvAccess } from '../../protocol/internal.ts';
import { parseConfig } from '../../config/index.ts';
import type { CodeAnalyzer } from '../../adapters/analysis/analyzer.ts';
import { builtInLibraries, modelledCalls, type LibraryModel } from '../../adapters/analysis/control/index.ts';
import { createAnalyzer } from '../../adapters/analysis/index.ts';
import { boundValueCases, escapeCases, harmlessCases, libraryCases, type LibraryCase, type Write } from './library-corpus.ts';

let analyzer: CodeAnalyzer;

beforeAll(async () => {
  // writes enabled: the policy finding for disabled writes is tested on its own
  analyzer = await createAnalyzer(parseConfig({ control_system: { writes_enabled: true } }));
});

async function analyse(code: string): Promise<AnalysisResult> {
  return analysisResultSchema.parse(await analyzer.analyze(code));
}

const writeKey = ([pv, value]: Write) => `${String(pv)} = ${JSON.stringify(value)}`;
const accessKey = (access: PvAccess) => `${String(access.pv)} = ${JSON.stringify(access.value)}`;
const sorted = (keys: string[]) => [...keys].sort();

function explain(result: AnalysisResult): string {
  return JSON.stringify({ findings: result.findings.map((f) => `${f.severity} ${f.rule} L${f.line}: ${f.message}`), cs: result.control_system }, null, 1);
}

async function checkCase(entry: LibraryCase): Promise<void> {
  const result = await analyse(entry.code);
  const { reads, writes } = result.control_system;
  expect(sorted(writes.map(accessKey)), explain(result)).toEqual(sorted((entry.writes ?? []).map(writeKey)));
  expect(sorted(reads.map((r) => String(r.pv))), explain(result)).toEqual(sorted((entry.reads ?? []).map(String)));
  expect(reads.every((r) => r.value === undefined)).toBe(true);
  for (const access of [...reads, ...writes]) {
    expect(access.library, explain(result)).toBe(entry.library);
  }
  expect(result.findings.filter((f) => f.severity === 'blocking'), explain(result)).toEqual([]);
  expect(result.execution_mode).toBe(writes.length > 0 ? 'write_access' : 'read_only');
}

/** The calls a table models, in the `function` form accesses carry (attribute rules: `Class.<attribute>`, `Class.<attribute> =`). */
function modelled(library: LibraryModel): Array<{ call: string; found: (functions: Set<string>) => boolean }> {
  const out: Array<{ call: string; found: (functions: Set<string>) => boolean }> = [];
  const has = (name: string) => (functions: Set<string>) => functions.has(name);
  for (const [qname, spec] of Object.entries(library.functions ?? {})) if (spec.call !== undefined) out.push({ call: qname, found: has(qname) });
  for (const [cls, spec] of Object.entries(library.classes ?? {})) {
    const isMethod = (name: string) => Object.hasOwn(spec.methods, name);
    const attribute = (suffix: string) => (functions: Set<string>) =>
      [...functions].some((f) => f.startsWith(`${cls}.`) && f.endsWith(suffix) && !isMethod(f.slice(cls.length + 1, f.length - suffix.length)));
    for (const [method, methodSpec] of Object.entries(spec.methods)) if (methodSpec.call !== undefined) out.push({ call: `${cls}.${method}`, found: has(`${cls}.${method}`) });
    if (spec.readAttributes === 'any') out.push({ call: `${cls}.<attribute>`, found: attribute('') });
    else for (const name of spec.readAttributes ?? []) out.push({ call: `${cls}.${name}`, found: has(`${cls}.${name}`) });
    if (spec.writeAttributes === 'any') out.push({ call: `${cls}.<attribute> =`, found: attribute(' =') });
    else for (const name of spec.writeAttributes ?? []) out.push({ call: `${cls}.${name} =`, found: has(`${cls}.${name} =`) });
    if (spec.otherMethods !== undefined) out.push({ call: `${cls}.<command>()`, found: attribute('') });
  }
  return out;
}

describe('control-system libraries, from their documentation', () => {
  for (const [library, cases] of Object.entries(libraryCases)) {
    describe.each(cases.map((c) => [c.name, c] as const))(`${library}: %s`, (_name, entry) => {
      it('finds every access with its PV, its value and its library', () => checkCase(entry));
    });
  }

  describe.each(boundValueCases.map((c) => [c.name, c] as const))('a method passed as a value: %s', (_name, entry) => {
    it('counts at the binding', () => checkCase(entry));
  });

  it.each(builtInLibraries.map((library) => [library.library, library] as const))('the %s cases reach every call its table models', async (name, library) => {
    const seen = new Set<string>();
    for (const entry of [...(libraryCases[name] ?? []), ...boundValueCases]) {
      const { reads, writes } = (await analyse(entry.code)).control_system;
      for (const access of [...reads, ...writes]) seen.add(access.function);
    }
    const missing = modelled(library)
      .filter(({ found }) => !found(seen))
      .map(({ call }) => call);
    expect(missing).toEqual([]);
    expect(modelled(library).length).toBeLessThanOrEqual(modelledCalls(library));
  });
});

describe('code that runs code', () => {
  it.each(escapeCases.map((c) => [c.name, c] as const))('%s is blocking', async (_name, entry) => {
    const result = await analyse(entry.code);
    for (const rule of entry.blocking) {
      expect(result.findings.some((f) => f.rule === rule && f.severity === 'blocking'), explain(result)).toBe(true);
    }
    expect(result.passed).toBe(false);
  });
});

describe('a write reached through a name held in a string', () => {
  it('is listed without a PV or a value, since which method it reaches is not known', async () => {
    const result = await analyse(['import operator, tango', 'd = tango.DeviceProxy("a/b/c")', 'operator.methodcaller("write_attribute", "x", 1)(d)', 'results = {}', ''].join('\n'));
    expect(result.control_system.writes.map((w) => [w.pv, w.value, w.function]), explain(result)).toEqual([[null, null, 'operator.methodcaller']]);
    expect(result.findings.some((f) => f.rule === 'resolution.indirect_call' && f.severity === 'blocking'), explain(result)).toBe(true);
  });
});

describe('harmless code in the same families', () => {
  it.each(harmlessCases.map((c) => [c.name, c] as const))('%s passes', async (_name, entry) => {
    const result = await analyse(entry.code);
    expect(result.control_system.writes, explain(result)).toEqual([]);
    expect(result.findings.filter((f) => f.severity === 'blocking'), explain(result)).toEqual([]);
    expect(result.passed).toBe(true);
  });
});
