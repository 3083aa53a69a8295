/**
 * A code generator turns a request (and the failures so far) into Python.
 * Implementations: mock (seeds' behaviours), basic (OpenAI-compatible),
 * anthropic, hybrid, and custom ones registered from config.
 */
import type { ErrorChainEntry, ExecutionRequest } from '../../protocol/public.ts';
import type { GeneratorMetadata } from '../../protocol/internal.ts';
import type { FailureKind } from '../../protocol/internal.ts';

export interface GenerationInput {
  executionId: string;
  attempt: number;
  request: ExecutionRequest;
  errorChain: readonly ErrorChainEntry[];
  /** The execution folder: where prompts and raw responses are saved when configured. */
  folder: string;
  /** Progress (e.g. streamed tokens), shown to watchers. */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface GeneratedCode {
  code: string;
  metadata: GeneratorMetadata;
}

export interface CodeGenerator {
  readonly name: string;
  generateCode(input: GenerationInput): Promise<GeneratedCode>;
}

/** A failure that says whether it costs a generation attempt (see FailureKind). */
export class GenerationError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly raw?: string,
  ) {
    super(message);
    this.name = 'GenerationError';
  }
}
