import { beforeAll, describe, expect, it } from 'vitest';
import { analysisResultSchema, type AnalysisResult } from '../../protocol/internal.ts';
import { parseConfig } from '../../config/index.ts';
import type { CodeAnalyzer } from '../../adapters/analysis/analyzer.ts';
import { createAnalyzer } from '../../adapters/analysis/index.ts';

let analyzer: CodeAnalyzer;

beforeAll(async () => {
  analyzer = await createAnalyzer(parseConfig({}));
});

async function analyse(code: string): Promise<AnalysisResult> {
  return analysisResultSchema.parse(await analyzer.analyze(code));
}

function blockingRules(result: AnalysisResult): string[] {
  return result.findings.filter((f) => f.severity === 'blocking').map((f) => f.rule);
}

describe('code the analyzer must survive', () => {
  it('reports code that does not parse, with the line', async () => {
    const result = await analyse('results = {}\nif x == :\n    pass\n');
    expect(result.syntax_valid).toBe(false);
    expect(result.passed).toBe(false);
    expect(result.findings.find((f) => f.rule === 'syntax.error')?.line).toBe(2);
  });

  it('still reports dangerous calls in code that does not parse', async () => {
    const result = await analyse('import os\nos.system("ls")\ndef broken(:\n');
    expect(blockingRules(result)).toEqual(expect.arrayContaining(['syntax.error', 'process.execution']));
  });

  it('refuses a 10 MB file without parsing it', async () => {
    const code = 'x = 1\n'.repeat((10 * 1024 * 1024) / 6);
    const result = await analyse(code);
    expect(blockingRules(result)).toEqual(['limits.code_too_large']);
    expect(result.passed).toBe(false);
    expect(result.code_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stops a parse that exceeds the time budget', async () => {
    const slow = await createAnalyzer(parseConfig({ analysis: { max_code_bytes: 20_000_000, parse_timeout_ms: 50 } }));
    const result = await slow.analyze('x = [i * 2 for i in range(10)]\n'.repeat(200_000));
    expect(result.findings.map((f) => f.rule)).toContain('limits.too_complex');
    expect(result.passed).toBe(false);
  });

  it('refuses a syntax tree over the node budget', async () => {
    const small = await createAnalyzer(parseConfig({ analysis: { max_nodes: 100 } }));
    const result = await small.analyze('x = 1\n'.repeat(100));
    expect(result.findings[0]?.message).toMatch(/nodes, more than 100/);
  });

  it('reports NUL bytes and still analyses the rest', async () => {
    const result = await analyse('results = {}\nx = "a\0b"\nimport subprocess\n');
    const nul = result.findings.find((f) => f.rule === 'syntax.nul_byte');
    expect(nul).toMatchObject({ severity: 'blocking', line: 2, column: 6 });
    expect(blockingRules(result)).toContain('process.execution');
    expect(result.syntax_valid).toBe(false);
  });

  it.each([
    ['parentheses', `x = ${'('.repeat(50_000)}1${')'.repeat(50_000)}\n`],
    ['lists', `x = ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`],
    ['a long chain of additions', `x = ${Array(50_000).fill('1').join(' + ')}\n`],
    ['attribute chains', `x = a${'.b'.repeat(50_000)}\n`],
  ])('refuses deeply nested %s with a finding, not a stack overflow', async (_kind, code) => {
    // the depth limit is what is tested: a parse time budget that a loaded machine cannot hit
    const patient = await createAnalyzer(parseConfig({ analysis: { parse_timeout_ms: 120_000 } }));
    const result = analysisResultSchema.parse(await patient.analyze(code));
    expect(blockingRules(result)).toContain('limits.too_complex');
    expect(result.findings.find((f) => f.rule === 'limits.too_complex')?.line).toBe(1);
  });

  it('analyses nesting within the budget', async () => {
    const result = await analyse(`results = {"x": ${'('.repeat(100)}1${')'.repeat(100)}}\n`);
    expect(result.passed).toBe(true);
  });

  it('accepts an empty file and binary garbage without throwing', async () => {
    expect((await analyse('')).syntax_valid).toBe(true);
    const garbage = Array.from({ length: 20_000 }, (_, i) => String.fromCharCode((i * 7919) % 0xd7ff)).join('');
    const result = await analyse(garbage);
    expect(result.passed).toBe(false);
  });

  it('rejects a non-string input with a clear error', async () => {
    await expect(analyzer.analyze(42 as unknown as string)).rejects.toThrow(/must be a string/);
  });
});
