/**
 * `pyexec pipeline FILE.yaml`: runs a declared pipeline's stages in order
 * (pipelines/spec.ts), each taking the results of the stages it names, and
 * prints each stage's outcome. On the embedded default the approvals are
 * asked at the terminal (--yes approves); on NATS any approver decides
 * (--yes approves from here). docs/pipelines.md.
 */
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { parse } from 'yaml';
import { ValidationError } from '../../client/errors.ts';
import { createLogger } from '../../logging/logger.ts';
import { describeZodError } from '../../protocol/zod-error.ts';
import { pipelineSchema, type PipelineSpec } from '../../pipelines/spec.ts';
import { runPipeline, type StageOutcome } from '../../pipelines/runner.ts';
import { closePrompt } from '../approval-prompt.ts';
import { openBackend } from '../backend.ts';
import { showEvent } from '../display.ts';
import { exitCodeHelp, exitCodes } from '../exit-codes.ts';
import { InputFileError, readCodeFile } from '../input-files.ts';
import { configFrom, withConnectionOptions, type ConnectionOptions } from '../options.ts';
import { decide } from './run.ts';

interface PipelineOptions extends ConnectionOptions {
  yes?: boolean;
  json?: boolean;
}

export function pipelineCommand(): Command {
  return withConnectionOptions(
    new Command('pipeline')
      .description("run a pipeline file's stages in order, each with the results of the stages it names (docs/pipelines.md)")
      .argument('<file>', 'the pipeline, in YAML')
      .option('-y, --yes', 'approve every stage that needs approval')
      .option('--json', 'print the stages\' outcomes as one JSON document'),
  )
    .addHelpText('after', `${exitCodeHelp}\n  (the first stage that did not succeed decides; a skipped stage counts as failed)`)
    .action(async (file: string, options: PipelineOptions) => {
      const pipeline = readPipeline(file);
      const config = configFrom(options);
      const logger = createLogger(config.service.log_level);
      const backend = await openBackend(options, config, { name: 'pyexec pipeline', identity: process.env.USER ?? 'cli', logger, warmKernel: false });
      try {
        const started = performance.now();
        const outcomes = await runPipeline(
          backend.client,
          pipeline,
          {
            started: (stage, handle) => {
              process.stderr.write(`stage ${stage.name}: execution ${handle.id}\n`);
              const answered = new Set<string>();
              handle.events.subscribe((event) => {
                showEvent(event, started);
                if (event.kind !== 'state' || event.state !== 'awaitingApproval') return;
                if (backend.embedded || options.yes) decide(backend.client, handle, options, answered).catch((error: unknown) => logger.error({ err: error }, 'approval not sent'));
                else process.stderr.write(`stage ${stage.name} waits for an approver: pyexec approve ${handle.id} --nats ...\n`);
              });
            },
            finished: (outcome) => options.json || process.stdout.write(`${stageLine(outcome)}\n`),
          },
          { requester: process.env.USER ?? 'pipeline', codeOf: (stage) => (stage.code_file ? readCodeFile(resolve(dirname(file), stage.code_file)) : undefined) },
        );
        if (options.json) process.stdout.write(`${JSON.stringify({ pipeline: pipeline.name ?? file, stages: outcomes }, null, 2)}\n`);
        process.exitCode = exitCodeOf(outcomes);
      } finally {
        closePrompt();
        await backend.close();
      }
    });
}

function readPipeline(file: string): PipelineSpec {
  let value: unknown;
  try {
    value = parse(readCodeFile(file, 'pipeline file'));
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(`pipeline file ${file}: is not valid YAML (${(error as Error).message})`);
  }
  const parsed = pipelineSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(describeZodError(parsed.error, 'pipeline'));
  return parsed.data;
}

function stageLine(outcome: StageOutcome): string {
  const id = outcome.execution_id ? ` (execution ${outcome.execution_id})` : '';
  const results = outcome.summary?.results ? ` results ${JSON.stringify(outcome.summary.results)}` : '';
  const reason = outcome.status !== 'succeeded' && outcome.reason ? `: ${outcome.reason}` : '';
  return `stage ${outcome.stage}: ${outcome.status}${id}${reason}${results}`;
}

function exitCodeOf(outcomes: StageOutcome[]): number {
  const first = outcomes.find((outcome) => outcome.status !== 'succeeded');
  if (!first) return exitCodes.succeeded;
  if (first.status === 'skipped') return exitCodes.failed;
  if (first.status === 'refused') return exitCodes.usage;
  return exitCodes[first.status];
}
