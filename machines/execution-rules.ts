/** Small pure rules of the statechart: command ids, hashes, backoff. */
import { createHash } from 'node:crypto';
import type { ExecutionContext, ExecutionPolicy, RetryStage } from './execution-types.ts';

const stageNames: Record<RetryStage, string> = { generating: 'generate', analyzing: 'analyze', executing: 'execute' };

/** The idempotency id of the command the current state issued: `<id>:<stage>:<seq>`. */
export function commandIdFor(context: Pick<ExecutionContext, 'executionId' | 'commandSeq'>, stage: RetryStage): string {
  return `${context.executionId}:${stageNames[stage]}:${context.commandSeq}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Exponential backoff for infrastructure retries; index 0 means "no wait". */
export function backoffMs(policy: Pick<ExecutionPolicy, 'backoffBaseMs' | 'backoffMaxMs'>, index: number): number {
  if (index <= 0) return 0;
  return Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (index - 1));
}
