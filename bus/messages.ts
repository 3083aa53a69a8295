/**
 * Every message of the public protocol as a zod schema. Whatever crosses the
 * bus is parsed with one of these on receipt; the TypeScript types are
 * inferred from them so that code and wire cannot drift apart.
 *
 * The wire format is JSON with snake_case fields (the seeds' names), so that a
 * Python or Go client can speak it with a plain NATS client.
 */
import { z } from 'zod';
import { channelLimitsReportSchema, limitChecksSchema } from './channel-limits.ts';

const nonEmpty = z.string().min(1, 'must be a non-empty string');
const isoTime = z.string().datetime({ offset: true });

/** Folder names come from callers and end up in paths: no separators, no '..'. */
export const folderNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-", starting with a letter or digit')
  .refine((s) => !s.includes('..'), 'must not contain ".." (no path escapes)');

export const executionIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{7,63}$/, 'must be 8-64 lowercase letters, digits or "-"');

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
    task_objective: nonEmpty,
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
    generator: nonEmpty.optional(),
    /** Mock generator behaviour (tests, demos). */
    behavior: nonEmpty.optional(),
    requester: z.string().default('anonymous'),
  })
  .strict();
export type ExecutionRequestInput = z.input<typeof executionRequestSchema>;
export type ExecutionRequest = z.output<typeof executionRequestSchema>;

export const severitySchema = z.enum(['info', 'warning', 'blocking']);
export type Severity = z.infer<typeof severitySchema>;

export const findingSchema = z.object({
  rule: nonEmpty,
  severity: severitySchema,
  message: z.string(),
  line: z.number().int().nonnegative(),
  column: z.number().int().nonnegative(),
  excerpt: z.string(),
});
export type Finding = z.infer<typeof findingSchema>;

/** A value written by the code when it is a literal: a scalar or a list of scalars. */
export const literalValueSchema = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.array(z.union([z.number(), z.string(), z.boolean()])),
]);
export type LiteralValue = z.infer<typeof literalValueSchema>;

/** One control-system access found in the code. `pv` is null when not a literal. */
export const pvAccessSchema = z.object({
  pv: z.string().nullable(),
  function: z.string(),
  line: z.number().int().nonnegative(),
  /** The client library the call belongs to (pyepics, p4p, caproto, pvapy, aioca, tango, ophyd, bluesky, osprey). */
  library: z.string().optional(),
  /** For a write: the value it sets when the code gives it as a literal; null when computed, absent for reads. */
  value: literalValueSchema.nullable().optional(),
});
export type PvAccess = z.infer<typeof pvAccessSchema>;

export const analysisResultSchema = z.object({
  /** False when the code must go back to the generator. */
  passed: z.boolean(),
  syntax_valid: z.boolean(),
  findings: z.array(findingSchema),
  control_system: z.object({ reads: z.array(pvAccessSchema), writes: z.array(pvAccessSchema) }),
  /** Name of the execution mode (a key of execution.modes). */
  execution_mode: nonEmpty,
  requires_approval: z.boolean(),
  /** Why approval is (not) needed and why the analysis failed, in an operator's words. */
  reasoning: z.array(z.string()),
  code_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  analyzer: z.string(),
  duration_ms: z.number().nonnegative(),
  /** Each write checked against the channel limits database (bus/channel-limits.ts); absent without one. */
  limit_checks: limitChecksSchema.optional(),
});
export type AnalysisResult = z.infer<typeof analysisResultSchema>;

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
  at: isoTime,
});
export type ErrorChainEntry = z.infer<typeof errorChainEntrySchema>;

export const generatorMetadataSchema = z
  .object({
    generator: z.string(),
    model: z.string().optional(),
    input_tokens: z.number().int().nonnegative().optional(),
    output_tokens: z.number().int().nonnegative().optional(),
    cost_usd: z.number().nonnegative().optional(),
    duration_ms: z.number().nonnegative().optional(),
  })
  .passthrough();
export type GeneratorMetadata = z.infer<typeof generatorMetadataSchema>;

export const generateCommandSchema = z.object({
  command_id: nonEmpty,
  execution_id: executionIdSchema,
  attempt: z.number().int().positive(),
  request: executionRequestSchema,
  error_chain: z.array(errorChainEntrySchema),
  folder: z.string(),
});
export type GenerateCommand = z.infer<typeof generateCommandSchema>;

/**
 * Failure kinds: `unusable` (bad output, consumes a generation attempt),
 * `infrastructure` (API down, retried with backoff, consumes nothing),
 * `configuration` (bad key, unknown model: fails fast).
 */
export const failureKindSchema = z.enum(['unusable', 'infrastructure', 'configuration']);
export type FailureKind = z.infer<typeof failureKindSchema>;

export const commandFailureSchema = z.object({
  ok: z.literal(false),
  command_id: nonEmpty,
  kind: failureKindSchema,
  type: z.string(),
  message: z.string(),
  raw: z.string().optional(),
});
export type CommandFailure = z.infer<typeof commandFailureSchema>;

export const generateReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), command_id: nonEmpty, code: z.string(), metadata: generatorMetadataSchema }),
  commandFailureSchema,
]);
export type GenerateReply = z.infer<typeof generateReplySchema>;

export const analyzeCommandSchema = z.object({
  command_id: nonEmpty,
  execution_id: executionIdSchema,
  code: z.string(),
});
export type AnalyzeCommand = z.infer<typeof analyzeCommandSchema>;

export const analyzeReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), command_id: nonEmpty, analysis: analysisResultSchema }),
  commandFailureSchema,
]);
export type AnalyzeReply = z.infer<typeof analyzeReplySchema>;

/** One execution attempt: the unit of work of a kernel executor. */
export const executeJobSchema = z.object({
  command_id: nonEmpty,
  execution_id: executionIdSchema,
  attempt: z.number().int().positive(),
  code: z.string(),
  code_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mode: nonEmpty,
  allows_writes: z.boolean(),
  folder: nonEmpty,
  timeout_seconds: z.number().positive(),
  approval_id: z.string().optional(),
});
export type ExecuteJob = z.infer<typeof executeJobSchema>;

/** Notebook outputs (nbformat 4), kept as produced by the kernel. */
export const notebookOutputSchema = z.record(z.string(), z.unknown());
export type NotebookOutput = z.infer<typeof notebookOutputSchema>;

/** `cancelled`: the job was stopped on a cancel (its `code_started` says whether the code had begun). */
export const executionStatusSchema = z.enum(['succeeded', 'runtime_error', 'timeout', 'infrastructure', 'lost', 'cancelled']);
export type ExecutionStatus = z.infer<typeof executionStatusSchema>;

export const executionErrorSchema = z.object({
  type: z.string(),
  message: z.string(),
  traceback: z.string().optional(),
});

export const executeResultSchema = z.object({
  command_id: nonEmpty,
  execution_id: executionIdSchema,
  status: executionStatusSchema,
  results: z.record(z.string(), z.unknown()).nullable(),
  stdout: z.string(),
  stderr: z.string(),
  output_truncated: z.boolean(),
  figures: z.array(z.string()),
  /** nbformat outputs; emptied on the wire, where `outputs_file` (in the folder) holds them. */
  outputs: z.array(notebookOutputSchema),
  outputs_file: z.string().optional(),
  error: executionErrorSchema.optional(),
  duration_ms: z.number().nonnegative(),
  executor: z.string(),
  /** How the kernel isolated the code: the OS sandbox, or none (execution.isolation: none; shown in the notebook and by `pyexec run`). */
  isolation: z.enum(['sandbox', 'none']).optional(),
  /** Write-mode jobs with a limits database: each write call refused, or written and verified (bus/channel-limits.ts). */
  channel_limits: channelLimitsReportSchema.optional(),
  /**
   * With status `cancelled`: false only when the kernel confirms the code never
   * began (so it made no control-system call); absent counts as true.
   */
  code_started: z.boolean().optional(),
});
export type ExecuteResult = z.infer<typeof executeResultSchema>;

export const verdictSchema = z.enum(['approve', 'reject']);

/** A human's decision on a pending approval; binds to the approval id and code hash. */
export const approvalDecisionSchema = z.object({
  execution_id: executionIdSchema,
  approval_id: nonEmpty,
  code_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the sha256 (hex) of the code that was analysed'),
  verdict: verdictSchema,
  reason: z.string().default(''),
  approver: nonEmpty,
  decided_at: isoTime,
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

/** Supervisor → executors on pyexec.jobs.cancel.<execution_id>: stop this job wherever it runs. */
export const jobCancelSchema = z.object({
  command_id: nonEmpty,
  execution_id: executionIdSchema,
  reason: z.string(),
  by: z.string(),
});
export type JobCancel = z.infer<typeof jobCancelSchema>;

export const approvalRequestSchema = z.object({
  execution_id: executionIdSchema,
  approval_id: nonEmpty,
  task_objective: z.string(),
  code: z.string(),
  code_sha256: z.string(),
  execution_mode: z.string(),
  findings: z.array(findingSchema),
  reasoning: z.array(z.string()),
  deadline: isoTime,
  notebook_path: z.string().optional(),
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

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
  /** Write-mode runs with a limits database: each write call refused, or written and verified (bus/channel-limits.ts). */
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
    at: isoTime,
    attempt: z.number().int().nonnegative(),
    detail: z.string(),
    summary: executionSummarySchema.optional(),
  }),
  z.object({
    kind: z.literal('progress'),
    execution_id: executionIdSchema,
    stage: z.string(),
    message: z.string(),
    at: isoTime,
  }),
  z.object({
    kind: z.literal('decision_refused'),
    execution_id: executionIdSchema,
    approval_id: z.string(),
    approver: z.string(),
    reason: z.string(),
    at: isoTime,
  }),
]);
export type ExecutionEvent = z.infer<typeof executionEventSchema>;

/** Published on pyexec.errors when a message cannot be accepted. */
export const protocolErrorSchema = z.object({
  subject: z.string(),
  error: z.string(),
  execution_id: z.string().optional(),
  at: isoTime,
});
export type ProtocolError = z.infer<typeof protocolErrorSchema>;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in lowercase hex');

/**
 * Record 0 of an execution's audit trail: the folder's creation, written by
 * the store without chain fields (its hash is that of its canonical JSON).
 */
export const auditGenesisSchema = z
  .object({ event: z.literal('folder_created'), execution_id: z.string(), at: z.string() })
  .catchall(z.unknown());

/**
 * Every later audit record (pyexec.audit.<id>, audit.jsonl): its event and
 * fields, chained by `prev` (the hash of the record before) and `hash`
 * (sha256 of its canonical JSON without `hash`).
 */
export const auditRecordSchema = z
  .object({
    seq: z.number().int().positive(),
    at: isoTime,
    event: nonEmpty,
    prev: sha256Hex,
    hash: sha256Hex,
  })
  .catchall(z.unknown());
export type AuditRecord = z.infer<typeof auditRecordSchema>;

/** What pyexec.audit.<id> carries: record 0, then the chained records in order. */
export const auditMessageSchema = z.union([auditGenesisSchema, auditRecordSchema]);
export type AuditMessage = z.infer<typeof auditMessageSchema>;

/** Turns a zod error into one line per issue: `field.path: message (got value)`. */
export function describeZodError(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('\n');
}
