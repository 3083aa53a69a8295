/**
 * Commands and replies between actors: generate and analyze requests (with
 * their replies), execute jobs and their results, and the supervisor's job
 * cancel. Not for clients, but JSON on the bus like the public messages, so an
 * actor in another process or language can serve them.
 */
import { z } from 'zod';
import { channelLimitsReportSchema, limitChecksSchema } from './channel-limits.ts';
import { executionIdSchema, nonEmptySchema } from './fields.ts';
import { errorChainEntrySchema, executionRequestSchema, findingSchema } from './public.ts';

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
  execution_mode: nonEmptySchema,
  requires_approval: z.boolean(),
  /** Why approval is (not) needed and why the analysis failed, in an operator's words. */
  reasoning: z.array(z.string()),
  code_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  analyzer: z.string(),
  duration_ms: z.number().nonnegative(),
  /** Each write checked against the channel limits database (protocol/channel-limits.ts); absent without one. */
  limit_checks: limitChecksSchema.optional(),
});
export type AnalysisResult = z.infer<typeof analysisResultSchema>;

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
  command_id: nonEmptySchema,
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
  command_id: nonEmptySchema,
  kind: failureKindSchema,
  type: z.string(),
  message: z.string(),
  raw: z.string().optional(),
});
export type CommandFailure = z.infer<typeof commandFailureSchema>;

export const generateReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), command_id: nonEmptySchema, code: z.string(), metadata: generatorMetadataSchema }),
  commandFailureSchema,
]);
export type GenerateReply = z.infer<typeof generateReplySchema>;

export const analyzeCommandSchema = z.object({
  command_id: nonEmptySchema,
  execution_id: executionIdSchema,
  code: z.string(),
});
export type AnalyzeCommand = z.infer<typeof analyzeCommandSchema>;

export const analyzeReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), command_id: nonEmptySchema, analysis: analysisResultSchema }),
  commandFailureSchema,
]);
export type AnalyzeReply = z.infer<typeof analyzeReplySchema>;

/** One execution attempt: the unit of work of a kernel executor. */
export const executeJobSchema = z.object({
  command_id: nonEmptySchema,
  execution_id: executionIdSchema,
  attempt: z.number().int().positive(),
  code: z.string(),
  code_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mode: nonEmptySchema,
  allows_writes: z.boolean(),
  folder: nonEmptySchema,
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
  command_id: nonEmptySchema,
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
  /** Write-mode jobs with a limits database: each write call refused, or written and verified (protocol/channel-limits.ts). */
  channel_limits: channelLimitsReportSchema.optional(),
  /**
   * With status `cancelled`: false only when the kernel confirms the code never
   * began (so it made no control-system call); absent counts as true.
   */
  code_started: z.boolean().optional(),
});
export type ExecuteResult = z.infer<typeof executeResultSchema>;

/** Supervisor → executors on pyexec.jobs.cancel.<execution_id>: stop this job wherever it runs. */
export const jobCancelSchema = z.object({
  command_id: nonEmptySchema,
  execution_id: executionIdSchema,
  reason: z.string(),
  by: z.string(),
});
export type JobCancel = z.infer<typeof jobCancelSchema>;
