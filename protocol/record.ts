/**
 * The KV record of one execution: the persisted xstate snapshot plus what a
 * supervisor needs without restoring it — state, outcome, and the ownership
 * lease. Written with compare-and-set after every transition.
 */
import { z } from 'zod';
import { outcomeSchema, stateNameSchema } from './public.ts';

export const executionRecordSchema = z.object({
  execution_id: z.string(),
  state: stateNameSchema,
  outcome: outcomeSchema.nullable(),
  owner: z.string(),
  lease_until: z.string(),
  updated_at: z.string(),
  /** xstate's persisted snapshot of the execution machine (written only by supervisors). */
  snapshot: z.record(z.string(), z.unknown()),
});
export type ExecutionRecord = z.infer<typeof executionRecordSchema>;
