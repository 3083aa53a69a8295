/**
 * In code without syntax errors the analyzer reads some things from the
 * source text instead of asking the syntax tree (string literals, where an
 * identifier ends, whether a one-word expression is an identifier). Each
 * snippet is analysed as it is and again with a syntax error added at its
 * end, where every property is asked of the tree: both must find the same.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../protocol/internal.ts';
import { parseConfig } from '../../config/index.ts';
import type { CodeAnalyzer } from '../../adapters/analysis/analyzer.ts';
import { createAnalyzer } from '../../adapters/analysis/index.ts';

let analyzer: CodeAnalyzer;

beforeAll(async () => {
  analyzer = await createAnalyzer(parseConfig({ control_system: { writes_enabled: true } }));
});

const lines = (...source: string[]) => `${source.join('\n')}\n`;
const header = 'from epics import PV, caput, caget\nimport epics\nn = 3\n';

const snippets: Array<[string, string]> = [
  ['plain string', 'caput("A:B", 1)'],
  ['raw and bytes prefixes', lines('caput(r"A:\\d", 1)', "caput(rb'A:B', 1)", 'caput(Rb"A:C", 1)', 'caput(u"A:D", 1)')],
  ['escapes', 'caput("A:\\n\\"B", 1)'],
  ['triple quotes', lines('caput("""A:B""", 1)', "caput('''A'B''', 1)", 'caput("""A"B""", 1)')],
  ['empty strings', lines('caput("", 1)', 'caput("""""", 1)')],
  ['f-string with a field', 'caput(f"A:{n}:B", 1)'],
  ['f-string prefixes in any order', lines('caput(fr"A:{n}", 1)', 'caput(Rf"A:B", 1)', 'caput(rF"A:C", 1)')],
  ['f-string without a field', 'caput(f"A:B", 1)'],
  ['f-string with escaped braces', lines('caput(f"A:{{B}}", 1)', 'caput(f"A:{{{n}}}", 1)', 'caput(f"}}A{{", 1)')],
  ['f-string with a named character', 'caput(f"\\N{BULLET}A:{n}", 1)'],
  ['f-string that is only a field', 'caput(f"{n}", 1)'],
  ['string through a name', lines('name = "A:B"', 'caput(name, 1)')],
  ['PV object', lines('p = PV(f"A:{{x}}")', 'p.put(1)', 'q = PV("""A:Q""")', 'q.value = 2')],
  ['reads', lines('caget("A:R")', 'PV(r"A:S").get()')],
  ['non-ASCII names', lines('é = caput', 'é("A:B", 1)', 'wé = epics.caput', 'wé("A:C", 1)', 'pvé = PV("A:D")', 'pvé.put(1)')],
  ['a name that goes on with a non-ASCII character', lines('def evalé():', '    pass', 'eval("1")', 'x = caput', 'xé = [x]', 'x("A:B", 1)')],
  ['keywords that are expressions', lines('f = None', 'f = caput', 'f("A:B", 1)', 'def g():', '    write_channel = yield', '    write_channel("A:C", 1)', 'h = True or caput', 'h("A:D", 1)')],
  ['attributes spelled loosely', lines('epics.caput("A:B", 1)', 'epics .caput("A:C", 1)', '(epics', ' .caput)("A:D", 1)', 'epics. caput("A:E", 1)')],
  ['chained assignments and unpacking', lines('a = b = caput', 'b("A:B", 1)', 'c, d = caput, print', 'c("A:C", 1)', 'for e in [caput]:', '    e("A:D", 1)')],
  ['files', lines('open("out/x.csv", "w")', 'open(f"/tmp/{n}", "w")', 'open(rb"../up", "a")', 'open("""data.txt""", "r")')],
  ['getattr with literal names', lines('getattr(epics, "caput")("A:B", 1)', "getattr(epics, r'caget')('A:C')", 'getattr(epics, f"ca{n}")("A:D", 1)')],
];

/** What the snippet does, leaving out what the added syntax error changes. */
function behaviour(result: AnalysisResult) {
  return {
    writes: result.control_system.writes,
    reads: result.control_system.reads,
    findings: result.findings
      .filter((f) => f.rule !== 'syntax.error' && f.rule.startsWith('policy.') === false)
      .map((f) => `${f.rule} L${f.line}:${f.column} ${f.message}`),
  };
}

describe('reading from the text gives what the tree gives', () => {
  it.each(snippets)('%s', async (_name, snippet) => {
    const code = header + snippet;
    const plain = await analyzer.analyze(code);
    const broken = await analyzer.analyze(`${code}\n(\n`);
    expect(plain.syntax_valid).toBe(true);
    expect(broken.syntax_valid).toBe(false);
    expect(behaviour(plain)).toEqual(behaviour(broken));
    expect(plain.control_system.writes.length + plain.control_system.reads.length + plain.findings.length).toBeGreaterThan(0);
  });
});
