/**
 * Follows one execution for a tool call until it ends: each state goes to the
 * caller as a progress notification; while it awaits approval a reminder goes
 * out every so often (a client that resets its timeout on progress keeps
 * waiting), the user may be asked (elicitation), and code that needs a mode
 * the call did not allow is cancelled here. Any approver may decide meanwhile.
 *
 * A caller that goes away (cancels, disconnects) stops the following, never
 * the execution: execution_status finds it again.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { pendingApproval, type ExecutionHandle, type PyexecClient } from '../client/client.ts';
import type { AnalysisResult } from '../protocol/internal.ts';
import type { ExecutionSummary, StateName } from '../protocol/public.ts';
import type { Logger } from '../logging/logger.ts';
import { askForApproval, canElicit } from './elicitation.ts';
import { progressSender, type ToolExtra } from './progress.ts';
import type { ModeRequest } from './tool-input.ts';

export interface FollowOptions {
  client: PyexecClient;
  server: Server;
  extra: ToolExtra;
  logger: Logger;
  /** The mode the call allows; null when following an execution another call started. */
  mode: ModeRequest | null;
  elicit: boolean;
  reminderMs: number;
}

export type Followed = { summary: ExecutionSummary; modeRefusal: string | null } | { detached: true };

export async function followExecution(handle: ExecutionHandle, options: FollowOptions): Promise<Followed> {
  const { client, extra, logger } = options;
  const progress = progressSender(extra);
  const handled = new Set<string>();
  /** The question to the user about the approval pending now, withdrawn once the state moves on. */
  let asking = new AbortController();
  let reminder: NodeJS.Timeout | null = null;
  let modeRefusal: string | null = null;
  let finished = false;

  const onApproval = async (signal: AbortSignal) => {
    const pending = pendingApproval(await client.get(handle.id));
    if (!pending || handled.has(pending.approval.approval_id)) return;
    const { approval, analysis } = pending;
    handled.add(approval.approval_id);
    if (options.mode === 'read_only' && analysis.execution_mode !== 'read_only') {
      // A cancel, not a rejection: a requester may cancel its own executions, only approvers may decide.
      modeRefusal = modeRefusalText(analysis);
      await client.cancel(handle.id, `refused by the MCP server: ${modeRefusal}`);
      return;
    }
    progress(`awaitingApproval: approval ${approval.approval_id} (mode ${analysis.execution_mode}) until ${approval.deadline}; any approver may decide: the review page, \`pyexec approve ${handle.id}\`, a NATS client`);
    if (!options.elicit || !canElicit(options.server)) return;
    const answer = await askForApproval(options.server, handle.id, pending, signal);
    if (answer) await client.decide(handle.id, answer.verdict, { reason: answer.reason, approver: answer.approver, approval });
  };

  const entered = (state: StateName) => {
    if (finished) return;
    if (reminder) clearInterval(reminder);
    reminder = null;
    asking.abort();
    if (state !== 'awaitingApproval') return;
    reminder = setInterval(() => progress(`awaitingApproval: execution ${handle.id} still waits for a decision`), options.reminderMs);
    const { signal } = (asking = new AbortController());
    onApproval(signal).catch((error: unknown) => {
      // Someone else decided first (the question is withdrawn), or the client cannot answer: the others still can.
      if (!signal.aborted) logger.warn({ executionId: handle.id, err: error }, 'asking for approval over MCP failed');
    });
  };
  const subscription = handle.events.subscribe((event) => {
    if (event.kind === 'decision_refused') return progress(`decision by ${event.approver} refused: ${event.reason}`);
    if (event.kind !== 'state') return;
    progress(`${event.state}: ${event.detail}`);
    entered(event.state);
  });
  // A handle on an execution that already waits (execution_status after a cut-off call) gets no event for it.
  void client.get(handle.id).then((view) => {
    if (view?.state === 'awaitingApproval' && reminder === null) entered('awaitingApproval');
  }, () => {});

  let onAbort = () => {};
  const detached = new Promise<{ detached: true }>((resolve) => {
    onAbort = () => resolve({ detached: true });
    if (extra.signal.aborted) onAbort();
    extra.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([handle.settled.then((summary) => ({ summary })), detached]);
    return 'summary' in outcome ? { summary: outcome.summary, modeRefusal } : outcome;
  } finally {
    finished = true;
    asking.abort();
    if (reminder) clearInterval(reminder);
    extra.signal.removeEventListener('abort', onAbort);
    subscription.unsubscribe();
  }
}

/** Why the call's read_only mode refused this code, and what to do instead. */
function modeRefusalText(analysis: AnalysisResult): string {
  const writes = analysis.control_system.writes.map((write) => `${write.pv ?? 'a computed PV'} (line ${write.line})`);
  return (
    `the code needs the "${analysis.execution_mode}" execution mode${writes.length ? ` because it writes ${writes.join(', ')}` : ''}, ` +
    'and this call asked for mode "read_only". Call again with mode "read_write" to have a human approve it, or remove the writes.'
  );
}
