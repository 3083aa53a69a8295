/**
 * Runs a pipeline's stages in order on any pyexec client (embedded or NATS).
 * Each stage is one execution request whose context_from names the
 * executions of the stages it depends on; the service loads their results.
 * A stage whose dependency did not succeed is skipped (and so, in turn, are
 * its dependants); independent stages still run.
 */
import type { ExecutionHandle, PyexecClient } from '../client/client.ts';
import { ValidationError } from '../client/errors.ts';
import type { ContextFrom, ExecutionRequestInput, ExecutionSummary, Outcome } from '../protocol/public.ts';
import type { PipelineSpec, StageSpec } from './spec.ts';

export type StageStatus = Outcome | 'skipped' | 'refused';

export interface StageOutcome {
  stage: string;
  status: StageStatus;
  execution_id: string | null;
  /** Why it was skipped or refused, or the last error of a failed execution. */
  reason: string;
  summary: ExecutionSummary | null;
}

export interface PipelineHooks {
  /** A stage's execution was submitted: follow it (show its states, answer its approvals). */
  started?(stage: StageSpec, handle: ExecutionHandle): void;
  finished?(outcome: StageOutcome): void;
}

export interface PipelineOptions {
  requester?: string;
  /** Code of `code_file` stages, read by the caller (the runner does no I/O of its own). */
  codeOf?(stage: StageSpec): string | undefined;
}

export async function runPipeline(client: PyexecClient, pipeline: PipelineSpec, hooks: PipelineHooks = {}, options: PipelineOptions = {}): Promise<StageOutcome[]> {
  const outcomes = new Map<string, StageOutcome>();
  for (const stage of pipeline.stages) {
    const outcome = await runStage(client, stage, outcomes, hooks, options);
    outcomes.set(stage.name, outcome);
    hooks.finished?.(outcome);
  }
  return [...outcomes.values()];
}

async function runStage(client: PyexecClient, stage: StageSpec, earlier: Map<string, StageOutcome>, hooks: PipelineHooks, options: PipelineOptions): Promise<StageOutcome> {
  const contextFrom: ContextFrom[] = [];
  for (const reference of stage.context_from) {
    if (!('stage' in reference)) {
      contextFrom.push(reference);
      continue;
    }
    const dependency = earlier.get(reference.stage);
    if (dependency?.status !== 'succeeded' || dependency.execution_id === null) {
      return { stage: stage.name, status: 'skipped', execution_id: null, reason: `stage "${reference.stage}" ended ${dependency?.status ?? 'without running'}`, summary: null };
    }
    contextFrom.push({ execution_id: dependency.execution_id, as: reference.as });
  }
  let handle: ExecutionHandle;
  try {
    handle = await client.submit(requestFor(stage, contextFrom, options));
  } catch (error) {
    if (error instanceof ValidationError) return { stage: stage.name, status: 'refused', execution_id: null, reason: error.details, summary: null };
    throw error;
  }
  hooks.started?.(stage, handle);
  try {
    const summary = await handle.settled;
    const last = summary.error_chain.at(-1);
    return { stage: stage.name, status: summary.outcome, execution_id: handle.id, reason: last ? `${last.type}: ${last.message}` : '', summary };
  } catch (error) {
    // The service refused the request (an earlier execution it cannot use): on pyexec.errors, through the handle.
    if (error instanceof ValidationError) return { stage: stage.name, status: 'refused', execution_id: handle.id, reason: error.details, summary: null };
    throw error;
  }
}

function requestFor(stage: StageSpec, contextFrom: ContextFrom[], options: PipelineOptions): ExecutionRequestInput {
  return {
    task_objective: stage.task ?? `pipeline stage ${stage.name}`,
    approved_code: stage.code ?? options.codeOf?.(stage),
    context: stage.context,
    context_from: contextFrom.length > 0 ? contextFrom : undefined,
    generator: stage.generator,
    behavior: stage.behavior,
    execution_folder_name: stage.name,
    requester: options.requester ?? 'pipeline',
  };
}
