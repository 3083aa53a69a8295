/** `pyexec list | watch | approve | reject | cancel`: executions already submitted. */
import { Command } from 'commander';
import type { ExecutionHandle } from '../../client/client.ts';
import { readKeyFile } from '../../adapters/signing/decision-keys.ts';
import { connect, type Connection } from '../connection.ts';
import { showEvent, showSummary, summaryJson } from '../display.ts';
import { exitCodeFor, exitCodeHelp } from '../exit-codes.ts';
import { withConnectionOptions, type ConnectionOptions } from '../options.ts';

interface ManageOptions extends ConnectionOptions {
  json?: boolean;
  reason?: string;
  approver?: string;
  wait?: boolean;
  key?: string;
}

async function withConnection(options: ConnectionOptions, work: (connection: Connection) => Promise<number>): Promise<void> {
  const connection = await connect(options);
  try {
    process.exitCode = await work(connection);
  } finally {
    await connection.close();
  }
}

/** Follows an execution to its end and reports it like `run` does. */
export async function followToEnd(handle: ExecutionHandle, json: boolean | undefined): Promise<number> {
  const started = performance.now();
  const subscription = handle.events.subscribe((event) => showEvent(event, started));
  const summary = await handle.settled;
  subscription.unsubscribe();
  if (json) process.stdout.write(`${summaryJson(summary)}\n`);
  else showSummary(summary);
  return exitCodeFor(summary.outcome);
}

function listCommand(): Command {
  return withConnectionOptions(new Command('list').description('list executions with their state').option('--json', 'print JSON')).action(
    (options: ManageOptions) =>
      withConnection(options, async ({ client }) => {
        const views = await client.list();
        const rows = views.map(({ execution_id, state, outcome, updated_at, request }) => ({
          execution_id,
          state,
          outcome,
          updated_at,
          task_objective: request.task_objective,
        }));
        if (options.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else for (const row of rows) process.stdout.write(`${row.execution_id}  ${row.state.padEnd(16)} ${(row.outcome ?? '').padEnd(10)} ${row.task_objective}\n`);
        return 0;
      }),
  );
}

function watchCommand(): Command {
  return withConnectionOptions(new Command('watch').description('follow an execution until it ends').argument('<id>', 'execution id').option('--json', 'print the summary as JSON'))
    .addHelpText('after', exitCodeHelp)
    .action((id: string, options: ManageOptions) => withConnection(options, async ({ client }) => followToEnd(client.watch(id), options.json)));
}

function decisionCommand(verdict: 'approve' | 'reject'): Command {
  const command = new Command(verdict)
    .description(verdict === 'approve' ? 'approve the pending approval of an execution' : 'reject the pending approval of an execution')
    .argument('<id>', 'execution id')
    .option('--approver <name>', 'who decides (default: $USER)')
    .option('--key <file>', 'sign the decision with this approver key (`pyexec keys create`; needed with approval.require_signed_decisions)')
    .option('--json', 'print the summary as JSON');
  if (verdict === 'reject') command.requiredOption('--reason <text>', 'why it is rejected (kept in the audit trail)');
  else command.option('--reason <text>', 'note kept in the audit trail');
  return withConnectionOptions(command)
    .addHelpText('after', exitCodeHelp)
    .action((id: string, options: ManageOptions) => {
      // Read first: a bad key file is reported before anything connects.
      const key = options.key === undefined ? null : readKeyFile(options.key);
      return withConnection(options, async ({ client, hostsService }) => {
        const handle = client.watch(id);
        const approver = options.approver ?? process.env.USER ?? 'cli';
        await client.decide(id, verdict, { reason: options.reason ?? '', approver, signer: key });
        process.stderr.write(`${verdict === 'approve' ? 'approval' : 'rejection'} sent for ${id}\n`);
        if (hostsService) return followToEnd(handle, options.json);
        if (options.json) process.stdout.write(`${JSON.stringify({ execution_id: id, sent: verdict })}\n`);
        return 0;
      });
    });
}

function cancelCommand(): Command {
  return withConnectionOptions(
    new Command('cancel').description('cancel an execution').argument('<id>', 'execution id').option('--reason <text>', 'why').option('--json', 'print JSON'),
  ).action((id: string, options: ManageOptions) =>
      withConnection(options, async ({ client, hostsService }) => {
        const handle = client.watch(id);
        await client.cancel(id, options.reason);
        if (hostsService) return followToEnd(handle, options.json);
        if (options.json) process.stdout.write(`${JSON.stringify({ execution_id: id, sent: 'cancel' })}\n`);
        return 0;
      }),
    );
}

export function manageCommands(): Command[] {
  return [listCommand(), watchCommand(), decisionCommand('approve'), decisionCommand('reject'), cancelCommand()];
}
