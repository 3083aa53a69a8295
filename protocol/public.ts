/**
 * What clients send and receive: execution requests, approval decisions,
 * cancels, approval requests, events, summaries and protocol errors. Whatever
 * crosses the bus is parsed with one of these on receipt; the TypeScript
 * types are inferred from them so that code and wire cannot drift apart.
 *
 * The wire format is JSON with snake_case fields (the seeds' names), so that a
 * Python or Go client can speak it with a plain NATS client.
 */
import { z } from 'zod';
import { channelLimitsReportSchema } from './channel-limits.ts';
import { executionIdSchema, folderNameSchema, isoTimeSchema, nonEmptySchema } from './fields.ts';

/**
 * An earlier execution whose results a request takes as context: the service
 * puts them in the new execution's `context` under `as` (multi-stage pipelines).
 */
export const contextFromSchema = z
  .object({
    execution_id: executionIdSchema,
    as: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a Python identifier of at most 64 characters (the key in `context`)'),
  })
  .strict();
export type ContextFrom = z.infer<typeof contextFromSchema>;

/** A request for one execution, as a caller publishes it. */
export const executionRequestSchema = z
  .object({
    execution_id: executionIdSchema.optional(),
    task_objective: nonEmptySchema,
    user_query: z.string().default(''),
    expected_results: z.record(z.string(), z.string()).default({}),
    capability_prompts: z.array(z.string()).default([]),
    /** Capability context data, written to context.json and loaded as `context`. */
    context: z.record(z.string(), z.unknown()).default({}),
    /** Earlier executions whose results join `context`, each under its own key. */
    context_from: z
      .array(contextFromSchema)
      .max(16, 'must name at most 16 executions')
      .refine((refs) => new Set(refs.map((ref) => ref.as)).size === refs.length, 'must give each execution a different `as`')
      .optional(),
    /** Code supplied by the caller: skips generation, still analysed. */
    approved_code: z.string().min(1, 'must not be empty when given').optional(),
    execution_folder_name: folderNameSchema.optional(),
    generator: nonEmptySchema.optional(),
    /** Mock generator behaviour (tests, demos). */
    behavior: nonEmptySchema.optional(),
    requester: z.string().default('anonymous'),
  })
  .strict();
export type ExecutionRequestInput = z.input<typeof executionRequestSchema>;
export type ExecutionRequest = z.output<typeof executionRequestSchema>;

export const severitySchema = z.enum(['info', 'warning', 'blocking']);
export type Severity = z.infer<typeof severitySchema>;

export const findingSchema = z.object({
  rule: nonEmptySchema,
  severity: severitySchema,
  message: z.string(),
  line: z.number().int().nonnegative(),
  column: z.number().int().nonnegative(),
  excerpt: z.string(),
});
export type Finding = z.infer<typeof findingSchema>;

export const errorStageSchema = z.enum(['generation', 'analysis', 'approval', 'execution']);

/** One failed attempt, handed to the generator on the next attempt. */
export const errorChainEntrySchema = z.object({
  stage: errorStageSchema,
  attempt: z.number().int().positive(),
  type: z.string(),
  message: z.string(),
  traceback: z.string().optional(),
  findings: z.array(findingSchema).optional(),
  code: z.string().optional(),
  at: isoTimeSchema,
});
export type ErrorChainEntry = z.infer<typeof errorChainEntrySchema>;

export const verdictSchema = z.enum(['approve', 'reject']);

/** A human's decision on a pending approval; binds to the approval id and code hash. */
export const approvalDecisionSchema = z.object({
  execution_id: executionIdSchema,
  approval_id: nonEmptySchema,
  code_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the sha256 (hex) of the code that was analysed'),
  verdict: verdictSchema,
  reason: z.string().default(''),
  approver: nonEmptySchema,
  decided_at: isoTimeSchema,
  signature: z.string().optional(),
  public_key: z.string().optional(),
});
export type ApprovalDecisionInput = z.input<typeof approvalDecisionSchema>;
export type ApprovalDecision = z.output<typeof approvalDecisionSchema>;

export const cancelRequestSchema = z.object({
  execution_id: executionIdSchema,
  reason: z.string().default('cancelled by request'),
  by: z.string().default('anonymous'),
});
export type CancelRequest = z.output<typeof cancelRequestSchema>;

export const approvalRequestSchema = z.object({
  execution_id: executionIdSchema,
  approval_id: nonEmptySchema,
  task_objective: z.string(),
  code: z.string(),
  code_sha256: z.string(),
  execution_mode: z.string(),
  findings: z.array(findingSchema),
  reasoning: z.array(z.string()),
  deadline: isoTimeSchema,
  notebook_path: z.string().optional(),
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

/**
 * The statechart's top-level states (machines/execution-machine.ts), as state
 * events and the KV record carry them. Spelled here because the wire needs
 * them and the protocol imports nothing of the project; machines/ takes the
 * type from here, and test/machines/state-names.test.ts holds the two equal.
 */
export const stateNameSchema = z.enum(['generating', 'analyzing', 'awaitingApproval', 'executing', 'retrying', 'done']);
export type StateName = z.infer<typeof stateNameSchema>;

export const outcomeSchema = z.enum(['succeeded', 'failed', 'rejected', 'cancelled', 'expired', 'unknown']);
export type Outcome = z.infer<typeof outcomeSchema>;

/** The final answer for a caller. Large payloads stay in the folder, by path. */
export const executionSummarySchema = z.object({
  execution_id: executionIdSchema,
  outcome: outcomeSchema,
  results: z.record(z.string(), z.unknown()).nullable(),
  figures: z.array(z.string()),
  notebook_path: z.string().nullable(),
  folder: z.string(),
  code: z.string().nullable(),
  execution_mode: z.string().nullable(),
  error_chain: z.array(errorChainEntrySchema),
  stdout: z.string(),
  /** Write-mode runs with a limits database: each write call refused, or written and verified (protocol/channel-limits.ts). */
  channel_limits: channelLimitsReportSchema.optional(),
});
export type ExecutionSummary = z.infer<typeof executionSummarySchema>;

/** Events published on pyexec.events.<id>: one per transition, plus progress and refusals. */
export const executionEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('state'),
    execution_id: executionIdSchema,
    seq: z.number().int().nonnegative(),
    state: stateNameSchema,
    at: isoTimeSchema,
    attempt: z.number().int().nonnegative(),
    detail: z.string(),
    summary: executionSummarySchema.optional(),
  }),
  z.object({
    kind: z.literal('progress'),
    execution_id: executionIdSchema,
    stage: z.string(),
    message: z.string(),
    at: isoTimeSchema,
  }),
  z.object({
    kind: z.literal('decision_refused'),
    execution_id: executionIdSchema,
    approval_id: z.string(),
    approver: z.string(),
    reason: z.string(),
    at: isoTimeSchema,
  }),
]);
export type ExecutionEvent = z.infer<typeof executionEventSchema>;

/** Published on pyexec.errors when a message cannot be accepted. */
export const protocolErrorSchema = z.object({
  subject: z.string(),
  error: z.string(),
  execution_id: z.string().optional(),
  at: isoTimeSchema,
});
export type ProtocolError = z.infer<typeof protocolErrorSchema>;
