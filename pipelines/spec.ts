/**
 * A pipeline file: stages in order, each with a task and/or code and the
 * earlier stages (or earlier executions) whose results it takes as context.
 *
 *   stages:
 *     - name: load
 *       code: results = {"values": [1, 2, 3]}
 *     - name: summarise
 *       task: mean of the loaded values
 *       context_from: [load]                 # context["load"]
 *     - name: report
 *       code_file: report.py                 # relative to the pipeline file
 *       context_from:
 *         - { stage: summarise, as: stats }  # context["stats"]
 *         - { execution_id: 3f2c..., as: reference }
 *
 * Checked with zod: unknown keys, a stage named twice, and a reference to a
 * stage that is not declared earlier are refused with the field's path.
 */
import { z } from 'zod';
import { contextFromSchema, executionRequestSchema } from '../protocol/public.ts';

const request = executionRequestSchema.shape;
const stageName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a Python identifier of at most 64 characters (it is the default key in context)');

const stageReferenceSchema = z.union([
  stageName.transform((stage) => ({ stage, as: stage })),
  z.object({ stage: stageName, as: contextFromSchema.shape.as.optional() }).strict().transform(({ stage, as }) => ({ stage, as: as ?? stage })),
  contextFromSchema,
]);
export type StageReference = z.output<typeof stageReferenceSchema>;

const stageSchema = z
  .object({
    name: stageName,
    task: request.task_objective.optional(),
    code: request.approved_code,
    /** A file with the code, relative to the pipeline file. */
    code_file: z.string().min(1).optional(),
    context: request.context,
    context_from: z.array(stageReferenceSchema).default([]),
    generator: request.generator,
    behavior: request.behavior,
  })
  .strict()
  .refine((stage) => stage.task !== undefined || stage.code !== undefined || stage.code_file !== undefined, {
    message: 'give `task`, `code` or `code_file`',
    path: ['task'],
  })
  .refine((stage) => stage.code === undefined || stage.code_file === undefined, { message: 'give `code` or `code_file`, not both', path: ['code_file'] });
export type StageSpec = z.output<typeof stageSchema>;

export const pipelineSchema = z
  .object({
    name: z.string().min(1).optional(),
    stages: z.array(stageSchema).min(1, 'must declare at least one stage'),
  })
  .strict()
  .superRefine((pipeline, issues) => {
    const seen = new Set<string>();
    pipeline.stages.forEach((stage, index) => {
      if (seen.has(stage.name)) issues.addIssue({ code: 'custom', path: ['stages', index, 'name'], message: `stage "${stage.name}" is declared twice` });
      stage.context_from.forEach((reference, position) => {
        if ('stage' in reference && !seen.has(reference.stage)) {
          issues.addIssue({ code: 'custom', path: ['stages', index, 'context_from', position], message: `no stage "${reference.stage}" is declared before this one` });
        }
      });
      seen.add(stage.name);
    });
  });
export type PipelineSpec = z.output<typeof pipelineSchema>;
