/**
 * What one persisted transition of an execution makes, as a pure function of
 * the transition: its audit records, the files it leaves (a FilePlan for the
 * recorder), and what it publishes — the state event (with the summary at the
 * end), a refused decision's event and protocol error, a cancel's progress
 * event. The runner (execution-runner.ts) carries these out in its strict
 * order: snapshot, audit records and files, publications, command.
 */
import type { ChannelLimitsReport } from '../protocol/channel-limits.ts';
import type { ExecutionEvent } from '../protocol/public.ts';
import { subjects } from '../protocol/subjects.ts';
import type { RefusedDecision } from '../machines/execution-types.ts';
import type { AttemptStage, AuditEntry, FilePlan, Transition } from '../adapters/recorder/recorder.ts';
import { summaryOf } from '../machines/execution-view.ts';

/** One message to publish: an event on pyexec.events.<id>, or a protocol error on pyexec.errors. */
export type Publication = { event: ExecutionEvent } | { protocolError: { subject: string; error: string } };

export interface TransitionOutputs {
  /** The audit records, in the order they happened (appended together). */
  audit: AuditEntry[];
  /**
   * The execution comes to rest (a human is asked to look, or it has ended):
   * its audit anchor and its files are in place before its publications.
   * Otherwise the anchor follows in the background and the files after the
   * command has gone out.
   */
  atRest: boolean;
  /** The files to write, or null when the transition leaves none. */
  files: FilePlan | null;
  /** The publications, in order, once the snapshot is at `revision` and the files are written (`notebookPath` from the recorder). */
  publications(written: { revision: number; notebookPath: string | null }): Publication[];
}

export function transitionOutputs(transition: Transition): TransitionOutputs {
  const { state } = transition;
  return {
    audit: auditEntriesFor(transition),
    atRest: state === 'awaitingApproval' || state === 'done',
    files: filePlanOf(transition),
    publications: (written) => publicationsOf(transition, written.revision, written.notebookPath),
  };
}

/** A refused decision: its event, and a protocol error naming the subject it arrived on. */
export function refusalPublications(subject: string, executionId: string, refusal: RefusedDecision): Publication[] {
  const { approvalId, approver, reason, at } = refusal;
  return [
    { event: { kind: 'decision_refused', execution_id: executionId, approval_id: approvalId, approver, reason, at } },
    { protocolError: { subject, error: `decision refused: ${reason}` } },
  ];
}

function auditEntriesFor({ previous, state, context, refusal }: Transition): AuditEntry[] {
  const entries: AuditEntry[] = [];
  if (refusal) {
    entries.push({ event: 'decision_refused', approval_id: refusal.approvalId, approver: refusal.approver, reason: refusal.reason, decided_at: refusal.at });
  }
  if (previous === 'awaitingApproval' && state !== 'awaitingApproval' && context.decision) {
    const { approvalId, approver, verdict, reason, decidedAt } = context.decision;
    entries.push({ event: 'decision_counted', approval_id: approvalId, approver, verdict, reason, decided_at: decidedAt, code_sha256: context.codeSha256 });
  }
  if (previous === 'executing' && state !== 'executing' && context.result) {
    const { status, duration_ms, executor, error, command_id, channel_limits } = context.result;
    entries.push({ event: 'execution_end', command_id, status, duration_ms, executor, error: error?.type, limits_version: channel_limits?.version });
    entries.push(...channelWriteEntries(channel_limits));
  }
  if (previous !== state) {
    entries.push({ event: 'transition', from: previous, to: state, attempt: context.attempt, outcome: context.outcome, detail: context.outcomeDetail || undefined });
  }
  if (state === 'executing' && previous !== 'executing') {
    entries.push({
      event: 'execution_start',
      attempt: context.attempt,
      mode: context.analysis?.execution_mode,
      code_sha256: context.codeSha256,
      approval_id: context.decision?.approvalId,
      approver: context.decision?.approver,
      limits_version: context.analysis?.limit_checks?.version,
    });
  }
  return entries;
}

/**
 * One record per write call the kernel made under channel limits: refused
 * (with the limit and why) or written (with its verification). They follow
 * the attempt's `execution_end`, which names the limits version used.
 */
function channelWriteEntries(report: ChannelLimitsReport | undefined): AuditEntry[] {
  if (!report) return [];
  return report.writes.map(({ at, outcome, ...write }) => ({
    event: outcome === 'refused' ? 'channel_write_refused' : outcome === 'written' ? 'channel_write' : 'channel_write_failed',
    ...write,
    limits_version: report.version,
    // The kernel's clock; the record's own `at` is when it was audited.
    happened_at: at,
  }));
}

/** The attempt notebook a transition calls for, if any. */
function attemptStage({ previous, state, context }: Transition): AttemptStage | null {
  if (previous === 'generating' && state === 'analyzing') return 'generated';
  if (state === 'awaitingApproval' && previous !== 'awaitingApproval') return 'awaiting_approval';
  if (previous === 'analyzing' && (state === 'retrying' || state === 'done') && context.analysis && !context.analysis.passed) return 'failed_analysis';
  if (previous === 'executing' && context.result && context.result.status !== 'succeeded' && context.result.status !== 'infrastructure') {
    return 'failed_execution';
  }
  if (previous === 'executing' && state === 'done' && context.outcome === 'succeeded') return 'succeeded';
  return null;
}

/** The stage's attempt notebook, and at the end the final notebook and results.json. */
function filePlanOf(transition: Transition): FilePlan | null {
  const { state, context } = transition;
  const stage = attemptStage(transition);
  const ended = state === 'done';
  if (stage === null && !ended) return null;
  return {
    attemptNotebook: stage ? { attempt: Math.max(1, context.attempt), stage } : null,
    finalNotebook: ended,
    results: ended && Boolean(context.result?.results),
  };
}

function publicationsOf(transition: Transition, revision: number, notebookPath: string | null): Publication[] {
  const { context, state, refusal } = transition;
  const executionId = context.executionId;
  const cancelling = state === 'executing' && context.cancelRequest?.at === context.updatedAt;
  // A refusal or a cancel request leaves the state as it was: its own event, no repeated state event.
  const stays = transition.previous === state && (refusal !== null || cancelling);
  const publications: Publication[] = [];
  if (!stays) {
    publications.push({
      event: {
        kind: 'state',
        execution_id: executionId,
        seq: revision,
        state,
        at: context.updatedAt,
        attempt: context.attempt,
        detail: describeState(transition),
        summary: state === 'done' ? summaryOf(context, notebookPath) : undefined,
      },
    });
  }
  if (refusal) publications.push(...refusalPublications(subjects.decisions(executionId), executionId, refusal));
  if (cancelling && context.cancelRequest) {
    const { by, reason, at } = context.cancelRequest;
    const message = `cancel by ${by} (${reason}): stopping the write job; the outcome follows from the kernel's answer`;
    publications.push({ event: { kind: 'progress', execution_id: executionId, stage: 'cancelling', message, at } });
  }
  return publications;
}

function describeState({ state, context }: Transition): string {
  switch (state) {
    case 'generating':
      return context.errorChain.length ? `generating new code (after ${context.errorChain.length} failed attempt(s))` : 'generating code';
    case 'analyzing':
      return `analysing attempt ${context.attempt}`;
    case 'awaitingApproval':
      return `waiting for approval until ${context.approval?.deadline ?? '?'} (mode ${context.analysis?.execution_mode ?? '?'})`;
    case 'executing':
      return `executing in ${context.analysis?.execution_mode ?? '?'} mode`;
    case 'retrying':
      return `retrying (${context.retry?.reason ?? ''}) at ${context.retry?.at ?? ''}`;
    case 'done':
      return `${context.outcome}: ${context.outcomeDetail}`;
  }
}
