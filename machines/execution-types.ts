/**
 * Context and events of the execution statechart. Everything here is plain
 * JSON (the snapshot is persisted as is); time enters only through the `at`
 * field of events, so the machine stays pure and replayable.
 */
import type { AnalysisResult, ExecuteResult, FailureKind } from '../protocol/internal.ts';
import type { ApprovalDecision, ErrorChainEntry, ExecutionRequest, Outcome } from '../protocol/public.ts';

/** Limits and timings the machine needs, taken from config when an execution is created. */
export interface ExecutionPolicy {
  maxGenerationAttempts: number;
  maxExecutionAttempts: number;
  maxInfrastructureRetries: number;
  approvalDeadlineMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** When set, a decision counts only when signed by one of these nkeys (config approval.approvers). */
  approverKeys?: string[];
}

export interface ExecutionInput {
  executionId: string;
  request: ExecutionRequest;
  folder: string;
  policy: ExecutionPolicy;
  at: string;
}

export type RetryStage = 'generating' | 'analyzing' | 'executing';

export interface PendingApproval {
  approvalId: string;
  codeSha256: string;
  deadline: string;
  requestedAt: string;
}

export interface RecordedDecision {
  approvalId: string;
  approver: string;
  verdict: 'approve' | 'reject';
  reason: string;
  decidedAt: string;
}

export interface RefusedDecision {
  approvalId: string;
  approver: string;
  reason: string;
  at: string;
}

/** A cancel that came while a write job may be running: the execution waits for the kernel to say what happened. */
export interface CancelRequested {
  by: string;
  reason: string;
  at: string;
}

export interface ExecutionContext {
  executionId: string;
  request: ExecutionRequest;
  folder: string;
  policy: ExecutionPolicy;
  createdAt: string;
  updatedAt: string;
  /** Grows with every command issued; command ids are `<executionId>:<stage>:<commandSeq>`. */
  commandSeq: number;
  /** Number of code versions so far (1 for approved code). */
  attempt: number;
  generationFailures: number;
  executionFailures: number;
  /** Consecutive infrastructure failures of the current stage. */
  infrastructureFailures: number;
  code: string | null;
  codeSha256: string | null;
  codeSource: 'generated' | 'approved' | null;
  analysis: AnalysisResult | null;
  approval: PendingApproval | null;
  decision: RecordedDecision | null;
  refusedDecisions: RefusedDecision[];
  retry: { stage: RetryStage; at: string; reason: string } | null;
  /** Set in `executing` only (absent in snapshots written before it existed). */
  cancelRequest?: CancelRequested | null;
  result: ExecuteResult | null;
  errorChain: ErrorChainEntry[];
  outcome: Outcome | null;
  outcomeDetail: string;
}

export type ExecutionEvent =
  | { type: 'GENERATED'; commandId: string; code: string; at: string }
  | { type: 'GENERATION_FAILED'; commandId: string; kind: FailureKind; errorType: string; message: string; at: string }
  | { type: 'ANALYZED'; commandId: string; analysis: AnalysisResult; at: string }
  | { type: 'ANALYSIS_FAILED'; commandId: string; message: string; at: string }
  | { type: 'DECISION'; decision: ApprovalDecision; at: string }
  | { type: 'EXECUTED'; commandId: string; result: ExecuteResult; at: string }
  | { type: 'RETRY_DUE'; at: string }
  | { type: 'DEADLINE_PASSED'; at: string }
  /**
   * In `executing` the supervisor adds what it knows of the job: `writes`, the
   * job's mode allows control-system writes; `neverRuns`, the job was fenced
   * before any executor claimed it, so its code will not start.
   */
  | { type: 'CANCEL'; reason: string; by: string; at: string; writes?: boolean; neverRuns?: boolean };
