/**
 * What the supervisor must do for a snapshot. Derived, not stored: after a
 * restore the same snapshot yields the same command with the same
 * idempotency id, so re-issuing it is safe.
 */
import type { ExecutionContext } from './execution-types.ts';
import { commandIdFor } from './execution-rules.ts';
import type { StateName } from '../protocol/public.ts';

export type PendingCommand =
  | { type: 'generate'; commandId: string }
  | { type: 'analyze'; commandId: string; code: string }
  | { type: 'awaitDecision'; approvalId: string; deadline: string }
  | { type: 'execute'; commandId: string; code: string; codeSha256: string; mode: string }
  | { type: 'waitUntil'; at: string }
  | { type: 'finish' };

export function pendingCommand(state: StateName, context: ExecutionContext): PendingCommand {
  switch (state) {
    case 'generating':
      return { type: 'generate', commandId: commandIdFor(context, 'generating') };
    case 'analyzing':
      return { type: 'analyze', commandId: commandIdFor(context, 'analyzing'), code: context.code ?? '' };
    case 'awaitingApproval':
      return { type: 'awaitDecision', approvalId: context.approval?.approvalId ?? '', deadline: context.approval?.deadline ?? '' };
    case 'executing':
      return {
        type: 'execute',
        commandId: commandIdFor(context, 'executing'),
        code: context.code ?? '',
        codeSha256: context.codeSha256 ?? '',
        mode: context.analysis?.execution_mode ?? 'read_only',
      };
    case 'retrying':
      return { type: 'waitUntil', at: context.retry?.at ?? context.updatedAt };
    case 'done':
      return { type: 'finish' };
  }
}

/** A key that changes exactly when a new command must be issued. */
export function commandKey(state: StateName, context: ExecutionContext): string {
  const command = pendingCommand(state, context);
  switch (command.type) {
    case 'generate':
    case 'analyze':
    case 'execute':
      return command.commandId;
    case 'awaitDecision':
      return `${command.approvalId}`;
    case 'waitUntil':
      return `wait:${context.commandSeq}:${command.at}`;
    case 'finish':
      return 'finish';
  }
}
