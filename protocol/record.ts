/**
 * The KV record of one execution: the persisted xstate snapshot plus what a
 * supervisor needs without restoring it — state, outcome, and the ownership
 * lease — and the public view clients read instead of the snapshot. Written
 * with compare-and-set after every transition.
 */
import { z } from 'zod';
import { executionViewSchema } from './execution-view.ts';
import { outcomeSchema, stateNameSchema } from './public.ts';

export const executionRecordSchema = z.object({
  execution_id: z.string(),
  state: stateNameSchema,
  outcome: outcomeSchema.nullable(),
  owner: z.string(),
  lease_until: z.string(),
  updated_at: z.string(),
  /** xstate's persisted snapshot of the execution machine: the supervisors' own, its shape may change with any release. */
  snapshot: z.record(z.string(), z.unknown()),
  /** What clients read (protocol/execution-view.ts); absent in records written before it existed. */
  view: executionViewSchema.optional(),
});
export type ExecutionRecord = z.infer<typeof executionRecordSchema>;
