/**
 * The tools' input schemas, made from the protocol's own zod schemas
 * (protocol/public.ts), so an agent's arguments are checked exactly as a
 * request on the bus would be. The SDK publishes them as JSON Schema.
 */
import { z } from 'zod';
import { executionIdSchema } from '../protocol/fields.ts';
import { executionRequestSchema } from '../protocol/public.ts';

const request = executionRequestSchema.shape;

/**
 * `read_only` (the default) refuses code that would run in a mode allowing
 * control-system writes; `read_write` lets it go on to a human's approval.
 */
export const modeRequestSchema = z.enum(['read_only', 'read_write']);
export type ModeRequest = z.infer<typeof modeRequestSchema>;

export const executeInputSchema = z
  .object({
    task: request.task_objective.optional().describe('What the code should do, in words. Without `code`, the service has code written for it.'),
    code: request.approved_code.describe('Python to run instead of generating it. It is still analysed, and approved when policy says so.'),
    context: request.context.describe('JSON object the code sees as `context` (capability context data).'),
    context_from: request.context_from.describe('Earlier, succeeded executions whose results the code sees as context[as] (multi-stage pipelines).'),
    mode: modeRequestSchema.default('read_only').describe('read_only refuses code that writes to the control system; read_write lets it wait for a human approval.'),
    execution_folder_name: request.execution_folder_name.describe('Name for the execution folder (letters, digits, . _ -).'),
  })
  .strict()
  .refine((input) => input.task !== undefined || input.code !== undefined, { message: 'give `task`, `code`, or both', path: ['task'] });
export type ExecuteInput = z.output<typeof executeInputSchema>;

export const analyzeInputSchema = z
  .object({ code: z.string().min(1, 'must not be empty').describe('Python to analyse as the service would, without running it.') })
  .strict();

export const statusInputSchema = z
  .object({
    execution_id: executionIdSchema.describe('The id python_execute returned (or any execution of this service).'),
    wait: z.boolean().default(false).describe('Wait for the execution to end (with progress notifications) and return its full result.'),
  })
  .strict();

export const cancelInputSchema = z
  .object({
    execution_id: executionIdSchema,
    reason: z.string().min(1).default('cancelled by the agent').describe('Why, for the audit trail.'),
  })
  .strict();
