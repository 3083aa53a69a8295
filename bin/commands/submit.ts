/**
 * `pyexec submit "TASK"`: publish an execution request and print its id;
 * with --wait, follow it to the end like `run` (approvals are given with
 * `pyexec approve`, by anyone allowed to). Against NATS with --nats; on the
 * embedded default this process hosts the service, so it always waits.
 */
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { connect } from '../connection.ts';
import { exitCodeHelp } from '../exit-codes.ts';
import { withConnectionOptions, type ConnectionOptions } from '../options.ts';
import { followToEnd } from './manage.ts';
import { requestFrom, withRequestOptions, type RequestOptions } from '../request-options.ts';

interface SubmitOptions extends ConnectionOptions, RequestOptions {
  id?: string;
  wait?: boolean;
  json?: boolean;
}

export function submitCommand(): Command {
  return withConnectionOptions(
    withRequestOptions(
      new Command('submit')
        .description('submit an execution request and print its id (--wait: follow it to the end)')
        .argument('<task>', 'the task objective, in words')
        .option('--id <id>', 'execution id to use (8-64 of a-z, 0-9, -; default: a new UUID)'),
      'the service configuration',
    )
      .option('--wait', 'follow the execution to its end and exit with its outcome')
      .option('--json', 'print JSON: {"execution_id"}, or with --wait the summary'),
  )
    .addHelpText('after', exitCodeHelp)
    .action(async (task: string, options: SubmitOptions) => {
      const connection = await connect(options);
      try {
        const handle = await connection.client.submit({ ...requestFrom(task, options), execution_id: options.id ?? randomUUID() });
        const follow = options.wait === true || connection.hostsService;
        // With --json, stdout holds one JSON document: the summary when it follows, else the id in an object.
        if (options.json && !follow) process.stdout.write(`${JSON.stringify({ execution_id: handle.id })}\n`);
        if (!options.json) process.stdout.write(`${handle.id}\n`);
        process.exitCode = follow ? await followToEnd(handle, options.json) : 0;
      } finally {
        await connection.close();
      }
    });
}
