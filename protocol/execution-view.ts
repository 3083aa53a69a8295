/**
 * The public read model of one execution, in its KV record (`exec.<id>`,
 * field `view`): what clients read — the CLI, the TypeScript client, the
 * review page, the MCP server, a client in another language — instead of the
 * statechart's persisted snapshot beside it, which is the supervisors' own
 * and may change shape with any release. The supervisor computes it from the
 * same transition as the snapshot (machines/execution-view.ts) and writes
 * both in one compare-and-set, so they never disagree.
 */
import { z } from 'zod';
import { executionIdSchema, isoTimeSchema, sha256HexSchema } from './fields.ts';
import { analysisResultSchema } from './internal.ts';
import {
  contextFromSchema,
  errorChainEntrySchema,
  executionSummarySchema,
  outcomeSchema,
  stateNameSchema,
  verdictSchema,
} from './public.ts';

/** The approval asked for last: pending while the state is `awaitingApproval`. */
export const viewApprovalSchema = z.object({
  approval_id: z.string(),
  /** The code a decision must name: a decision for other code is refused. */
  code_sha256: sha256HexSchema,
  deadline: isoTimeSchema,
  requested_at: isoTimeSchema,
});
export type ViewApproval = z.infer<typeof viewApprovalSchema>;

export const executionViewSchema = z.object({
  execution_id: executionIdSchema,
  state: stateNameSchema,
  /** Null until the execution has ended. */
  outcome: outcomeSchema.nullable(),
  /** Why it ended so, in words; empty until it has ended. */
  outcome_detail: z.string(),
  /** Versions of the code so far (1 for code given with the request). */
  attempt: z.number().int().nonnegative(),
  created_at: isoTimeSchema,
  /** The last transition (lease renewals do not change it). */
  updated_at: isoTimeSchema,
  /** The execution folder on the service's host: notebooks, figures, results.json, audit.jsonl. */
  folder: z.string(),
  request: z.object({
    task_objective: z.string(),
    user_query: z.string(),
    requester: z.string(),
    context_from: z.array(contextFromSchema),
  }),
  /** The current code version, its hash and where it came from; null before the first. */
  code: z.string().nullable(),
  code_sha256: sha256HexSchema.nullable(),
  code_source: z.enum(['generated', 'approved']).nullable(),
  /** The analysis of `code`: findings, control-system reads and writes (PVs), mode, reasoning. */
  analysis: analysisResultSchema.nullable(),
  approval: viewApprovalSchema.nullable(),
  /** The decision that counted. */
  decision: z
    .object({ approval_id: z.string(), approver: z.string(), verdict: verdictSchema, reason: z.string(), decided_at: z.string() })
    .nullable(),
  /** Decisions the service refused, and why (stale code, an unknown signer, too late...). */
  refused_decisions: z.array(z.object({ approval_id: z.string(), approver: z.string(), reason: z.string(), at: z.string() })),
  /** Standard error of the last run, and whether its stdout or stderr was cut (the notebook has all of it). */
  stderr: z.string(),
  output_truncated: z.boolean(),
  /** The caller's answer, once the state is `done` (the same summary the last event carries). */
  summary: executionSummarySchema.nullable(),
  error_chain: z.array(errorChainEntrySchema),
});
export type ExecutionView = z.infer<typeof executionViewSchema>;
