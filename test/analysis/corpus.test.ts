import { beforeAll, describe, expect, it } from 'vitest';
import { analysisResultSchema, type AnalysisResult } from '../../protocol/internal.ts';
import { parseConfig } from '../../config/index.ts';
import type { CodeAnalyzer } from '../../adapters/analysis/analyzer.ts';
import { createAnalyzer } from '../../adapters/analysis/index.ts';
import { blockingPatterns, corpus, reads, traps, writeEvasions, type CorpusCase } from './corpus.ts';

let analyzer: CodeAnalyzer;

beforeAll(async () => {
  // writes enabled: the policy finding for disabled writes is tested on its own
  analyzer = await createAnalyzer(parseConfig({ control_system: { writes_enabled: true } }));
});

const sorted = (pvs: Array<string | null>) => [...pvs].map(String).sort();

async function analyse(entry: CorpusCase): Promise<AnalysisResult> {
  return analysisResultSchema.parse(await analyzer.analyze(entry.code));
}

function describeResult(result: AnalysisResult): string {
  return JSON.stringify({ findings: result.findings.map((f) => `${f.severity} ${f.rule} L${f.line}: ${f.message}`), cs: result.control_system }, null, 1);
}

describe('labelled corpus', () => {
  it('has at least 80 snippets', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(80);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });

  describe.each(writeEvasions.map((c) => [c.name, c] as const))('write evasion: %s', (_name, entry) => {
    it('finds every write with its PV names', async () => {
      const result = await analyse(entry);
      expect(sorted(result.control_system.writes.map((w) => w.pv)), describeResult(result)).toEqual(sorted(entry.writes ?? []));
      expect(result.execution_mode).toBe('write_access');
      // code with blocking findings goes back to the generator instead of to a human
      expect(result.requires_approval).toBe(entry.blocking === undefined);
      for (const rule of entry.blocking ?? []) {
        expect(result.findings.some((f) => f.rule === rule && f.severity === 'blocking'), describeResult(result)).toBe(true);
      }
    });
  });

  describe.each(blockingPatterns.map((c) => [c.name, c] as const))('blocking pattern: %s', (_name, entry) => {
    it('reports it as blocking and fails the analysis', async () => {
      const result = await analyse(entry);
      for (const rule of entry.blocking ?? []) {
        const finding = result.findings.find((f) => f.rule === rule);
        expect(finding?.severity, describeResult(result)).toBe('blocking');
        expect(finding?.line).toBeGreaterThan(0);
        expect(finding?.excerpt).not.toBe('');
      }
      expect(result.passed).toBe(false);
      expect(result.requires_approval).toBe(false);
    });
  });

  describe.each(reads.map((c) => [c.name, c] as const))('read: %s', (_name, entry) => {
    it('finds the reads and no write', async () => {
      const result = await analyse(entry);
      expect(sorted(result.control_system.reads.map((r) => r.pv)), describeResult(result)).toEqual(sorted(entry.reads ?? []));
      expect(result.control_system.writes).toEqual([]);
      expect(result.execution_mode).toBe('read_only');
    });
  });

  describe.each(traps.map((c) => [c.name, c] as const))('false-positive trap: %s', (_name, entry) => {
    it('reports no write and nothing blocking', async () => {
      const result = await analyse(entry);
      expect(result.control_system.writes, describeResult(result)).toEqual([]);
      expect(result.findings.filter((f) => f.severity === 'blocking'), describeResult(result)).toEqual([]);
      expect(result.passed).toBe(true);
      expect(result.execution_mode).toBe('read_only');
    });
  });
});
