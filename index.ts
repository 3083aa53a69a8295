/**
 * pyexec for TypeScript agents: create a service from a configuration, submit
 * requests, follow them, decide on approvals.
 *
 *   const service = await createService(loadConfig());
 *   const handle = await service.client.submit({ task_objective: 'mean beam current' });
 *   handle.events.subscribe((event) => console.log(event));
 *   const summary = await handle.result; // throws a typed ExecutionError otherwise
 *   await service.stop();
 */
export { startService as createService, type PyexecService, type ServiceOptions } from './actors/service.ts';
export {
  PyexecClient,
  pendingApproval,
  type ExecutionHandle,
  type ExecutionView,
  type DecisionOptions,
  type DecisionSigner,
  type PendingApproval,
} from './client/client.ts';
export { PyexecError, errorCatalogue, type ErrorCode } from './protocol/errors.ts';
export {
  ExecutionError,
  GenerationFailedError,
  AnalysisFailedError,
  RuntimeFailedError,
  TimeoutError,
  RejectedError,
  CancelledError,
  ExpiredError,
  OutcomeUnknownError,
  ValidationError,
  type FailureStage,
} from './client/errors.ts';
export { loadConfig, parseConfig, ConfigError } from './config/load.ts';
export type { Config, ConfigInput } from './config/schema.ts';
export type {
  ExecutionRequestInput,
  ContextFrom,
  ExecutionSummary,
  ExecutionEvent,
  Finding,
  ApprovalDecision,
  Outcome,
  StateName,
} from './protocol/public.ts';
export type { AnalysisResult } from './protocol/internal.ts';
export { runPipeline, type StageOutcome, type PipelineHooks } from './pipelines/runner.ts';
export { pipelineSchema, type PipelineSpec } from './pipelines/spec.ts';
export { createMemoryTransport } from './bus/memory/transport.ts';
export type { Transport } from './bus/transport.ts';
export type { CodeGenerator, GenerationInput, GeneratedCode } from './adapters/generators/generator.ts';
export { GenerationError } from './adapters/generators/generator.ts';
export type { Kernel } from './adapters/kernels/kernel.ts';
