/**
 * The kinds of code the model's environment can produce, each one a seed
 * behaviour of the mock generator (so the scripted generator hands out the
 * mock's real snippets), with what the real analyzer and the real kernel do
 * with it. The analysis is computed by the real analyzer before the graph is
 * built, so the model and the system agree by construction; the kernel
 * status is declared here and checked by every path that runs the code.
 */
import type { AnalysisResult, ExecutionStatus } from '../../protocol/internal.ts';
import type { CodeAnalyzer } from '../../adapters/analysis/analyzer.ts';
import { createMockGenerator, type MockBehavior } from '../../adapters/generators/mock.ts';
import { executionRequestSchema } from '../../protocol/public.ts';

export const codeKinds = ['ok', 'runtime_error', 'write', 'bad'] as const;
export type CodeKind = (typeof codeKinds)[number];

export const behaviorOf: Record<CodeKind, MockBehavior> = {
  ok: 'success',
  runtime_error: 'runtime_error',
  write: 'epics_write',
  bad: 'syntax_error',
};

/**
 * What the real kernel reports for each kind (the write runs against the
 * fake `epics`); code that fails analysis never reaches it.
 */
export const kernelStatusOf: Record<CodeKind, ExecutionStatus | null> = {
  ok: 'succeeded',
  runtime_error: 'runtime_error',
  write: 'succeeded',
  bad: null,
};

export interface CodeCatalogue {
  code: Record<CodeKind, string>;
  analysis: Record<CodeKind, AnalysisResult>;
  kindOf(code: string | null): CodeKind | null;
}

/** The mock generator's snippet for a kind (first attempt, empty error chain). */
export async function mockCode(kind: CodeKind): Promise<string> {
  const generated = await createMockGenerator().generateCode({
    executionId: 'model-catalogue',
    attempt: 1,
    request: executionRequestSchema.parse({ task_objective: 'model catalogue', behavior: behaviorOf[kind] }),
    errorChain: [],
    folder: '/nonexistent',
  });
  return generated.code;
}

export async function buildCatalogue(analyzer: CodeAnalyzer): Promise<CodeCatalogue> {
  const entries = await Promise.all(
    codeKinds.map(async (kind) => {
      const code = await mockCode(kind);
      return [kind, code, await analyzer.analyze(code)] as const;
    }),
  );
  const code = Object.fromEntries(entries.map(([kind, text]) => [kind, text])) as Record<CodeKind, string>;
  const analysis = Object.fromEntries(entries.map(([kind, , result]) => [kind, result])) as Record<CodeKind, AnalysisResult>;
  const byCode = new Map(entries.map(([kind, text]) => [text, kind]));
  return {
    code,
    analysis,
    kindOf: (text) => {
      if (text === null) return null;
      const kind = byCode.get(text);
      if (!kind) throw new Error(`code outside the model's catalogue:\n${text}`);
      return kind;
    },
  };
}
