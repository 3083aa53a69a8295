/**
 * `pyexec run "TASK"`: one execution on the embedded default, start to
 * finish. The service's modules are imported when the command runs (not
 * when `pipeline` borrows a helper from here), and only after the
 * kernel has begun its start in child processes.
 */
import { Command } from 'commander';
import type { ExecutionSummary } from '../../protocol/public.ts';
import type { ExecutionHandle, PyexecClient } from '../../client/client.ts';
import { pendingApproval } from '../../client/decisions.ts';
import { createLogger } from '../../logging/logger.ts';
import { askApproval, closePrompt } from '../approval-prompt.ts';
import { showApprovalRequest, showEvent, showSummary, summaryJson } from '../display.ts';
import { exitCodeFor, exitCodeHelp } from '../exit-codes.ts';
import { configFrom, withCommonOptions, type CommonOptions } from '../options.ts';
import { requestFrom, withRequestOptions, type RequestOptions } from '../request-options.ts';
import { isQuiet } from '../verbosity.ts';

export interface RunOptions extends CommonOptions, RequestOptions {
  yes?: boolean;
  json?: boolean;
}

export function runCommand(): Command {
  return withCommonOptions(
    withRequestOptions(
      new Command('run')
        .description('generate (or take), analyse, approve and run Python for a task; print results and the notebook path')
        .argument('<task>', 'the task objective, in words'),
      'config execution.code_generator',
    )
      .option('-y, --yes', 'approve without asking when approval is required')
      .option('--json', 'print one JSON document (id, outcome, results, figures, notebook, error chain)'),
  )
    .addHelpText('after', exitCodeHelp)
    .action(async (task: string, options: RunOptions) => {
      process.exitCode = await run(task, options);
    });
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
  const pending = pendingApproval(view);
  if (!view || !pending || answered.has(pending.approval.approval_id)) return;
  answered.add(pending.approval.approval_id);
  showApprovalRequest(view);
  const answer = options.yes ? { verdict: 'approve' as const, reason: 'approved with --yes' } : await askApproval();
  // Bound to the approval shown: code that changed meanwhile is not approved by this answer.
  await client.decide(handle.id, answer.verdict, { approver: process.env.USER ?? 'cli', reason: answer.reason, approval: pending.approval });
}
