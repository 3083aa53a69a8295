/**
 * The execution folder as an ExecutionRecorder (recorder.ts): folders under
 * the executions root (adapters/store), the audit trail anchored in the
 * transport's KV and kept in its audit log (adapters/audit), and the
 * notebooks of each stage built from the execution's context
 * (adapters/notebook) with the executed attempt's outputs read back from the
 * file the executor left them in.
 */
import { z } from 'zod';
import type { ExecuteResult } from '../../protocol/internal.ts';
import type { StateName } from '../../protocol/public.ts';
import type { AuditLog } from '../../bus/audit-log.ts';
import type { KvStore, StoreUnavailableError } from '../../bus/kv-store.ts';
import type { ExecutionContext } from '../../machines/execution-types.ts';
import { createAuditTrail } from '../audit/audit-trail.ts';
import { buildNotebook, type ApprovalStatus } from '../notebook/build.ts';
import type { Notebook } from '../notebook/nbformat.ts';
import { createExecutionFolder, ExecutionFolderError, findExecutionFolder, writeAttemptNotebook, writeFinalNotebook, writeResults } from '../store/execution-folder.ts';
import { runFileJob } from '../store/file-jobs.ts';
import type { AttemptStage } from '../store/layout.ts';
import type { ExecutionRecorder, FilePlan, FolderFiles, RecordedFiles, Transition } from './recorder.ts';

export interface FolderRecorderOptions {
  executionsRoot: string;
  /** Where audit heads are anchored. */
  kv: KvStore;
  /** Where audit records are also kept (the transport's, on NATS). */
  auditLog: AuditLog | null;
  /** Told of each audit write that found a store unavailable (it is tried again). */
  auditRetrying: (error: StoreUnavailableError) => void;
}

export function createFolderRecorder(options: FolderRecorderOptions): ExecutionRecorder {
  const root = options.executionsRoot;
  return {
    audit: createAuditTrail({ kv: options.kv, log: options.auditLog, retrying: options.auditRetrying }),
    async folderFor(executionId, request) {
      try {
        return await createExecutionFolder(root, executionId, request);
      } catch (error) {
        const existing = error instanceof ExecutionFolderError ? await findExecutionFolder(root, executionId) : null;
        if (existing) return existing;
        throw error;
      }
    },
    writeFiles,
  };
}

/** One file job: the folder made, then the files written (not exclusive: a re-run attempt replaces them). */
export const writeFolderFiles: FolderFiles = async (folder, files) => {
  await runFileJob([{ op: 'mkdir', path: folder, recursive: true }, ...files.map(({ path, data }) => ({ op: 'write' as const, path, data, exclusive: false }))]);
};

/** The attempt notebook and, at the end, results.json and the final notebook: written side by side. */
async function writeFiles(transition: Transition, plan: FilePlan): Promise<RecordedFiles> {
  const { context } = transition;
  const { attemptNotebook } = plan;
  const executed = plan.finalNotebook || attemptNotebook?.stage === 'failed_execution' || attemptNotebook?.stage === 'succeeded';
  const result = executed ? await withOutputs(context.result) : null;
  const attempt = attemptNotebook
    ? writeAttemptNotebook(context.folder, attemptNotebook.attempt, attemptNotebook.stage, notebookFor(transition, attemptNotebook.stage, result))
    : null;
  const results = plan.results && context.result?.results ? writeResults(context.folder, context.result.results) : null;
  const final = plan.finalNotebook ? writeFinalNotebook(context.folder, notebookFor(transition, 'final', result)) : null;
  const [finalPath, attemptPath] = await Promise.all([final, attempt, results]);
  return { notebookPath: finalPath ?? attemptPath };
}

/** The executed attempt with its outputs read back from the folder (the bus carried only their file's path). */
async function withOutputs(result: ExecuteResult | null): Promise<ExecuteResult | null> {
  if (!result?.outputs_file) return result;
  try {
    const [text] = await runFileJob([{ op: 'read', path: result.outputs_file }]);
    const outputs = z.array(z.record(z.string(), z.unknown())).parse(JSON.parse(text));
    return { ...result, outputs };
  } catch {
    return result;
  }
}

function approvalStatus(context: ExecutionContext, state: StateName): ApprovalStatus | null {
  if (context.approval === null) return null;
  const base = { approvalId: context.approval.approvalId, deadline: context.approval.deadline };
  if (context.decision) {
    return { ...base, state: context.decision.verdict === 'approve' ? 'approved' : 'rejected', approver: context.decision.approver, reason: context.decision.reason };
  }
  return { ...base, state: context.outcome === 'expired' ? 'expired' : state === 'done' ? 'rejected' : 'pending' };
}

/** `result` is the executed attempt with its outputs (withOutputs), for the stages that show it. */
function notebookFor(transition: Transition, stage: AttemptStage | 'final', result: ExecuteResult | null): Notebook {
  const { context, state } = transition;
  const executed = stage === 'failed_execution' || stage === 'succeeded' || stage === 'final';
  return buildNotebook({
    stage,
    executionId: context.executionId,
    attempt: Math.max(1, context.attempt),
    taskObjective: context.request.task_objective,
    userQuery: context.request.user_query,
    code: context.code ?? '# no code was produced',
    folder: context.folder,
    analysis: context.analysis,
    approval: approvalStatus(context, state),
    result: executed ? result : null,
    outcome: context.outcome,
    errorChain: context.errorChain,
    contextFrom: context.request.context_from,
  });
}
