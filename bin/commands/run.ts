/**
 * `pyexec run "TASK"`: one execution on the embedded default, start to
 * finish. The service's modules are imported when the command runs (not
 * when `submit` or `pipeline` borrow a helper from here), and only after the
 * kernel has begun its start in child processes.
 */
import { Command } from 'commander';
import type { ContextFrom, ExecutionRequestInput, ExecutionSummary } from '../../protocol/public.ts';
import type { ExecutionHandle, PyexecClient } from '../../actors/client.ts';
import { mockBehaviors } from '../../adapters/generators/mock.ts';
import { createLogger } from '../../logging/logger.ts';
import { askApproval, closePrompt } from '../approval-prompt.ts';
import { contextFromOption } from '../context-from-option.ts';
import { showApprovalRequest, showEvent, showSummary, summaryJson } from '../display.ts';
import { exitCodeFor, exitCodeHelp } from '../exit-codes.ts';
import { readCodeFile, readJsonObject } from '../input-files.ts';
import { configFrom, withCommonOptions, type CommonOptions } from '../options.ts';
import { isQuiet } from '../verbosity.ts';

export interface RunOptions extends CommonOptions {
  code?: string;
  generator?: string;
  behavior?: string;
  context?: string;
  contextFrom?: ContextFrom[];
  query?: string;
  folderName?: string;
  yes?: boolean;
  json?: boolean;
}

export function runCommand(): Command {
  return withCommonOptions(
    new Command('run')
      .description('generate (or take), analyse, approve and run Python for a task; print results and the notebook path')
      .argument('<task>', 'the task objective, in words')
      .option('--code <file>', 'run this code instead of generating it (still analysed; approval still applies)')
      .option('-g, --generator <name>', 'code generator to use (default: config execution.code_generator)')
      .option('-b, --behavior <name>', `mock generator behaviour: ${mockBehaviors.join(', ')}`)
      .option('--context <file>', 'JSON object given to the code as `context` (capability context data)')
      .addOption(contextFromOption())
      .option('-q, --query <text>', 'the user query the task came from')
      .option('--folder-name <name>', 'name for the execution folder (letters, digits, . _ -)')
      .option('-y, --yes', 'approve without asking when approval is required')
      .option('--json', 'print one JSON document (id, outcome, results, figures, notebook, error chain)'),
  )
    .addHelpText('after', exitCodeHelp)
    .action(async (task: string, options: RunOptions) => {
      process.exitCode = await run(task, options);
    });
}

export function requestFrom(task: string, options: RunOptions): ExecutionRequestInput {
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

async function run(task: string, options: RunOptions): Promise<number> {
  const config = configFrom(options);
  // Said even when quiet: nothing else in the output tells that the code runs unsandboxed.
  if (config.execution.isolation === 'none') process.stderr.write('warning: execution.isolation is none: the code runs WITHOUT the OS sandbox (docs/isolation.md)\n');
  const request = requestFrom(task, options);
  const logger = createLogger(config.service.log_level);
  // First, so that finding the Python and checking the OS sandbox (child processes) overlap the loading of
  // the rest. One execution: a fresh interpreter starts sooner than a fork server that preloads numpy,
  // matplotlib and pandas.
  const { createKernel } = await import('../../adapters/kernels/index.ts');
  const kernel = await createKernel(config, { warm: false, logger });
  try {
    // Built once up front so that a missing API key is reported before anything runs.
    if (request.approved_code === undefined) await (await import('../../adapters/generators/index.ts')).createGenerator(config, options.generator);
    const { startService } = await import('../../actors/service.ts');
    const service = await startService(config, { kernel, logger });
    try {
      const handle = await service.client.submit(request);
      const summary = await follow(service.client, handle, options);
      process.stdout.write(options.json ? `${summaryJson(summary)}\n` : '');
      if (!options.json) showSummary(summary);
      return exitCodeFor(summary.outcome);
    } finally {
      closePrompt();
      await service.stop();
    }
  } finally {
    await kernel.close();
  }
}

/** Shows the states as they come and answers approval requests. */
async function follow(client: PyexecClient, handle: ExecutionHandle, options: RunOptions): Promise<ExecutionSummary> {
  const started = performance.now();
  if (!isQuiet()) process.stderr.write(`execution ${handle.id}\n`);
  const answered = new Set<string>();
  const decisions: Promise<void>[] = [];
  const subscription = handle.events.subscribe((event) => {
    showEvent(event, started);
    if (event.kind === 'state' && event.state === 'awaitingApproval') decisions.push(decide(client, handle, options, answered));
  });
  try {
    const summary = await handle.settled;
    await Promise.all(decisions);
    return summary;
  } finally {
    subscription.unsubscribe();
  }
}

/** Asks at the terminal (or approves with --yes) when the execution waits for an approval not yet answered here. */
export async function decide(client: PyexecClient, handle: ExecutionHandle, options: Pick<RunOptions, 'yes'>, answered: Set<string>): Promise<void> {
  const view = await client.get(handle.id);
  const approval = view?.context.approval;
  if (!view || !approval || answered.has(approval.approvalId)) return;
  answered.add(approval.approvalId);
  showApprovalRequest(view.context);
  const answer = options.yes ? { verdict: 'approve' as const, reason: 'approved with --yes' } : await askApproval();
  const approver = process.env.USER ?? 'cli';
  if (answer.verdict === 'approve') await handle.approve({ approver, reason: answer.reason });
  else await handle.reject(answer.reason, { approver });
}
