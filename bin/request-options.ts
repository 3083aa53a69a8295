/**
 * The options that make an execution request, the same for `run` and
 * `submit`, and the request they make.
 */
import type { Command } from 'commander';
import type { ContextFrom, ExecutionRequestInput } from '../protocol/public.ts';
import { mockBehaviors } from '../adapters/generators/mock.ts';
import { contextFromOption } from './context-from-option.ts';
import { readCodeFile, readJsonObject } from './input-files.ts';

export interface RequestOptions {
  code?: string;
  generator?: string;
  behavior?: string;
  context?: string;
  contextFrom?: ContextFrom[];
  query?: string;
  folderName?: string;
}

/** `generatorDefault` says where the generator comes from when none is named (this process's config, or the service's). */
export function withRequestOptions(command: Command, generatorDefault: string): Command {
  return command
    .option('--code <file>', 'run this code instead of generating it (still analysed; approval still applies)')
    .option('-g, --generator <name>', `code generator to use (default: ${generatorDefault})`)
    .option('-b, --behavior <name>', `mock generator behaviour: ${mockBehaviors.join(', ')}`)
    .option('--context <file>', 'JSON object given to the code as `context` (capability context data)')
    .addOption(contextFromOption())
    .option('-q, --query <text>', 'the user query the task came from')
    .option('--folder-name <name>', 'name for the execution folder (letters, digits, . _ -)');
}

export function requestFrom(task: string, options: RequestOptions): ExecutionRequestInput {
  return {
    task_objective: task,
    user_query: options.query ?? task,
    approved_code: options.code === undefined ? undefined : readCodeFile(options.code),
    context: options.context === undefined ? undefined : readJsonObject(options.context),
    context_from: options.contextFrom,
    generator: options.generator,
    behavior: options.behavior,
    execution_folder_name: options.folderName,
    requester: process.env.USER ?? 'cli',
  };
}
