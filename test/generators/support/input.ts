/** Generation inputs for tests, built through the protocol schemas like real ones. */
import {
  errorChainEntrySchema,
  executionRequestSchema,
  type ErrorChainEntry,
  type ExecutionRequestInput,
} from '../../../protocol/public.ts';
import type { GenerationInput } from '../../../adapters/generators/generator.ts';

export function generationInput(options: {
  folder: string;
  request?: Partial<ExecutionRequestInput>;
  attempt?: number;
  errorChain?: readonly ErrorChainEntry[];
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}): GenerationInput {
  return {
    executionId: 'exec-test-0001',
    attempt: options.attempt ?? 1,
    request: executionRequestSchema.parse({ task_objective: 'Compute the mean beam current', ...options.request }),
    errorChain: options.errorChain ?? [],
    folder: options.folder,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

export function runtimeFailure(attempt: number, traceback: string, code = 'results = {"value": data["missing"]}\n'): ErrorChainEntry {
  return errorChainEntrySchema.parse({
    stage: 'execution',
    attempt,
    type: 'KeyError',
    message: "'missing'",
    traceback,
    code,
    at: new Date().toISOString(),
  });
}
