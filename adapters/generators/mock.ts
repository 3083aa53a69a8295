/**
 * The mock generator: canned code for each of the seeds' behaviours, so the
 * whole pipeline runs without an LLM (tests, demos, the embedded default).
 * The behaviour comes from the request (`behavior`) or the generator's
 * config section, else `success`.
 */
import { z } from 'zod';
import type { CodeGenerator, GeneratedCode, GenerationInput } from './generator.ts';
import { GenerationError } from './generator.ts';

const snippets = {
  success: [
    'import math',
    '',
    'values = [math.sin(i / 10) for i in range(100)]',
    'results = {"count": len(values), "mean": sum(values) / len(values)}',
    'print(f"computed {len(values)} values")',
  ],
  syntax_error: ['def broken(:', '    return 1', 'results = {"value": broken()}'],
  runtime_error: ['values = [1, 2, 3]', 'results = {"value": values[10]}'],
  missing_results: ['value = 6 * 7', 'print(value)'],
  epics_write: [
    'from epics import caput, caget',
    '',
    'caput("SR:MAG:QF1:CURRENT_SP", 12.5)',
    'results = {"written": "SR:MAG:QF1:CURRENT_SP", "value": 12.5, "readback": caget("SR:MAG:QF1:CURRENT_RB")}',
  ],
  epics_read: [
    'from epics import caget',
    '',
    'current = caget("SR:DCCT:CURRENT")',
    'results = {"pv": "SR:DCCT:CURRENT", "value": current}',
  ],
  security_risk: ['import os', '', 'os.system("rm -rf /tmp/data")', 'results = {"done": True}'],
  /** Fixed code once the error chain names an error: the seeds' retry demonstration. */
  error_aware_first: ['data = {"a": 1}', 'results = {"value": data["missing_key"]}'],
  error_aware_fixed: [
    'data = {"a": 1}',
    'results = {"value": data.get("missing_key", 0), "recovered": True}',
  ],
} as const;

export const mockBehaviors = [
  'success',
  'syntax_error',
  'runtime_error',
  'missing_results',
  'epics_write',
  'epics_read',
  'security_risk',
  'error_aware',
] as const;
export type MockBehavior = (typeof mockBehaviors)[number];

export const mockSectionSchema = z
  .object({
    type: z.literal('mock').optional(),
    behavior: z.enum(mockBehaviors).default('success'),
  })
  .strict();

function codeFor(behavior: MockBehavior, input: GenerationInput): string {
  if (behavior === 'error_aware') {
    const sawError = input.errorChain.length > 0;
    return (sawError ? snippets.error_aware_fixed : snippets.error_aware_first).join('\n') + '\n';
  }
  return snippets[behavior].join('\n') + '\n';
}

export function createMockGenerator(section: unknown = {}): CodeGenerator {
  const options = mockSectionSchema.parse(section ?? {});
  return {
    name: 'mock',
    async generateCode(input: GenerationInput): Promise<GeneratedCode> {
      const requested = input.request.behavior ?? options.behavior;
      const behavior = z.enum(mockBehaviors).safeParse(requested);
      if (!behavior.success) {
        throw new GenerationError(
          'configuration',
          `unknown mock behavior "${requested}": expected one of ${mockBehaviors.join(', ')}`,
        );
      }
      const started = performance.now();
      const code = codeFor(behavior.data, input);
      input.onProgress?.(`mock generator: ${behavior.data}`);
      return { code, metadata: { generator: 'mock', model: `mock:${behavior.data}`, duration_ms: performance.now() - started } };
    },
  };
}
