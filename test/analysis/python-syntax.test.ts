import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { analysisResultSchema, type AnalysisResult } from '../../protocol/internal.ts';
import { parseConfig } from '../../config/index.ts';
import type { CodeAnalyzer } from '../../adapters/analysis/analyzer.ts';
import { createAnalyzer } from '../../adapters/analysis/index.ts';

const python = '/usr/bin/python3';

/** Code Python refuses; several of them tree-sitter accepts or places elsewhere. */
const invalid: ReadonlyArray<readonly [string, string]> = [
  ['an unindented line after if', 'if True:\nx = 1\nresults = {}\n'],
  ['an unclosed parenthesis', 'results = {}\nx = (1,\n'],
  ['an unmatched parenthesis after a non-ASCII character', 'results = {}\ns = "é" + )\n'],
  ['a dedent that matches no outer level', 'def f():\n    return 1\n  x = 2\n'],
  ['tabs and spaces mixed', 'if True:\n\tx = 1\n        y = 2\n'],
  ['return outside a function', 'results = {}\nreturn 1\n'],
  ['await outside an async function', 'import asyncio\nawait asyncio.sleep(1)\n'],
  ['assignment to a call', 'results = {}\nf() = 1\n'],
  ['an unterminated string', 'x = "abc\n'],
  ['syntax newer than the kernel', 'type X = int\n'],
  ['an emoji before the error', 'x = "😀" + *\n'],
  ['nonlocal at module level', 'nonlocal x\n'],
  ['a duplicate argument', 'def f(a, a):\n    pass\n'],
];

interface PythonError {
  msg: string;
  lineno: number;
  offset: number;
}

/** What Python says of each snippet, asked in a separate interpreter, not through the analyzer's helper. */
function pythonErrors(codes: readonly string[]): Array<PythonError | null> {
  const script = [
    'import json, sys',
    'out = []',
    'for code in json.load(sys.stdin):',
    '    try:',
    '        compile(code, "<code>", "exec")',
    '        out.append(None)',
    '    except SyntaxError as e:',
    '        out.append({"msg": e.msg, "lineno": e.lineno, "offset": e.offset})',
    'print(json.dumps(out))',
  ].join('\n');
  return JSON.parse(execFileSync(python, ['-c', script], { input: JSON.stringify(codes), encoding: 'utf8' })) as Array<PythonError | null>;
}

/** Python's 1-based character column as the analysis reports columns: 0-based UTF-16 units. */
function column(code: string, error: PythonError): number {
  const line = code.split('\n')[error.lineno - 1] ?? '';
  return [...line].slice(0, error.offset - 1).join('').length;
}

/** The helper processes this process started: `ps` asked from outside. */
function helperPids(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(' -I -S -c'))
    .map((line) => Number.parseInt(line.trim(), 10));
}

let analyzer: CodeAnalyzer;
let expected: Array<PythonError | null>;

beforeAll(async () => {
  analyzer = await createAnalyzer(parseConfig({}));
  expected = pythonErrors(invalid.map(([, code]) => code));
});

async function analyse(code: string, with_ = analyzer): Promise<AnalysisResult> {
  return analysisResultSchema.parse(await with_.analyze(code));
}

describe("Python's own syntax check", () => {
  it.each(invalid.map(([name, code], index) => [name, code, index] as const))('refuses %s with Python’s line, column and message', async (_name, code, index) => {
    const error = expected[index];
    expect(error, 'Python itself accepts this case').not.toBeNull();
    if (error === null || error === undefined) return;
    const result = await analyse(code);
    expect(result.syntax_valid).toBe(false);
    expect(result.passed).toBe(false);
    const syntax = result.findings.filter((f) => f.rule === 'syntax.error');
    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject({ severity: 'blocking', message: error.msg, line: error.lineno, column: column(code, error) });
  });

  it('passes valid code, including syntax the parser reads through soft keywords', async () => {
    const code = 'import numpy as np\nx = 3\nmatch x:\n    case 1:\n        y = [i for i in range(3)]\n    case _:\n        y = None\nresults = {"y": y}\n';
    const result = await analyse(code);
    expect(result.syntax_valid).toBe(true);
    expect(result.findings.filter((f) => f.rule.startsWith('syntax.') || f.rule.startsWith('analysis.'))).toEqual([]);
  });

  it('runs one warm helper process for every analysis, and replaces it when it dies', async () => {
    for (let i = 0; i < 20; i++) await analyse(`results = {"i": ${i}}\n`);
    const [pid, ...others] = helperPids();
    expect(others).toEqual([]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid as number, 'SIGKILL');
    // the analysis that finds the helper dead says so; a later one has Python's verdict again
    const verdicts: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await analyse('if True:\nx = 1\n');
      verdicts.push(result.findings.some((f) => f.rule === 'syntax.error' && f.message.startsWith('expected an indented block')));
    }
    expect(verdicts.at(-1)).toBe(true);
    const after = helperPids();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(pid);
  });

  it("falls back to the parser's verdict with a warning when the interpreter cannot run", async () => {
    const broken = await createAnalyzer(parseConfig({ execution: { local: { python_env_path: '/nonexistent/bin/python3' } } }));
    const result = await analyse('results = {}\nif x == :\n    pass\n', broken);
    expect(result.findings.find((f) => f.rule === 'syntax.python_unavailable')).toMatchObject({ severity: 'warning', line: 0 });
    expect(result.findings.find((f) => f.rule === 'syntax.error')?.line).toBe(2);
    expect(result.syntax_valid).toBe(false);
  });
});
