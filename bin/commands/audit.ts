/**
 * `pyexec audit ID` shows an execution's audit trail and checks its hash
 * chain; `pyexec audit --verify` checks every execution under the executions
 * root (exit 1 when a record was edited or removed). With --state-dir or
 * --nats the chain heads anchored in the store are checked too, which shows
 * records cut from the end. With --nats the records are read from the audit
 * stream, and checked against audit.jsonl where the folder is on this host.
 */
import { Command } from 'commander';
import { createAuditTrail, type AuditTrail, type AuditVerification } from '../../adapters/audit/audit-trail.ts';
import { listAuditedFolders } from '../../adapters/audit/audit-folders.ts';
import { findExecutionFolder } from '../../adapters/store/execution-folder.ts';
import { openTransport, UsageError } from '../connection.ts';
import { configFrom, withConnectionOptions, type ConnectionOptions } from '../options.ts';

interface AuditOptions extends ConnectionOptions {
  verify?: boolean;
  json?: boolean;
}

export function auditCommand(): Command {
  return withConnectionOptions(
    new Command('audit')
      .description('show the audit trail of an execution, or with --verify check the hash chains of all (exit 1 if any is broken)')
      .argument('[id]', 'execution id')
      .option('--verify', 'only check the chains (of ID, or of every execution under the executions root)')
      .option('--json', 'print JSON'),
  ).action(async (id: string | undefined, options: AuditOptions) => {
    if (!id && !options.verify) throw new UsageError('audit: give an execution id, or --verify to check every execution');
    const config = configFrom(options);
    const anchored = Boolean(options.nats || config.service.state_dir);
    const { transport } = await openTransport(options, config, { name: 'pyexec audit' });
    try {
      const trail = createAuditTrail({ kv: anchored ? transport.kv : null, log: transport.auditLog });
      const root = config.service.executions_root;
      if (!anchored) process.stderr.write('note: no --state-dir or --nats, so the anchored chain heads are not checked (records cut from the end go unseen)\n');
      const streamed = transport.auditLog !== undefined;
      process.exitCode = id && !options.verify ? await show(trail, root, id, streamed, options.json) : await verifyAll(trail, root, id, streamed, options.json);
    } finally {
      await transport.close();
    }
  });
}

/** The execution's folder on this host; null when the audit stream is there to read instead. */
async function folderOf(root: string, id: string, streamed: boolean): Promise<string | null> {
  const folder = await findExecutionFolder(root, id);
  if (!folder && !streamed) throw new UsageError(`audit: no execution folder for ${id} under ${root}`);
  return folder;
}

async function show(trail: AuditTrail, root: string, id: string, streamed: boolean, json: boolean | undefined): Promise<number> {
  const folder = await folderOf(root, id, streamed);
  const [records, verification] = await Promise.all([recordsOf(trail, folder, id), trail.verify(folder, id)]);
  if (json) {
    process.stdout.write(`${JSON.stringify({ records, verification }, null, 2)}\n`);
  } else {
    for (const record of records) {
      const { seq, at, event, prev: _prev, hash: _hash, ...fields } = record;
      const details = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
      process.stdout.write(`${String(seq ?? 0).padStart(3)}  ${String(at)}  ${String(event).padEnd(18)} ${details.join(' ')}\n`);
    }
    report(verification, id);
  }
  return verification.ok ? 0 : 1;
}

/** The stream's records where there is one (what --nats reads), otherwise the file's. */
async function recordsOf(trail: AuditTrail, folder: string | null, id: string): Promise<Array<Record<string, unknown>>> {
  const logged = await trail.readLog(id);
  if (logged && logged.length > 0) return logged;
  if (folder) return trail.read(folder).catch(() => []);
  if (logged) return [];
  throw new UsageError(`audit: the NATS server keeps no audit stream, and the folder of ${id} is not on this host`);
}

async function verifyAll(trail: AuditTrail, root: string, id: string | undefined, streamed: boolean, json: boolean | undefined): Promise<number> {
  const folders = id ? [{ folder: await folderOf(root, id, streamed), executionId: id }] : await listAuditedFolders(root);
  const results: AuditVerification[] = [];
  for (const { folder, executionId } of folders) {
    results.push(
      executionId === null
        ? { folder, ok: false, records: 0, head: null, anchor: null, problems: ['the first record (folder creation, with the execution id) is unreadable'] }
        : await trail.verify(folder, executionId),
    );
  }
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else results.forEach((result, index) => report(result, folders[index]?.executionId ?? result.folder ?? '?'));
  const broken = results.filter((result) => !result.ok).length;
  if (!json) process.stderr.write(`${results.length} audit trail(s) checked, ${broken} broken\n`);
  return broken === 0 ? 0 : 1;
}

function report(verification: AuditVerification, name: string): void {
  if (verification.ok) {
    const stream = verification.logged === undefined ? '' : verification.folder ? ', same in the audit stream' : ' in the audit stream';
    process.stdout.write(`ok      ${name}  ${verification.records} records${stream}${verification.anchor ? ', head anchored' : ''}\n`);
    return;
  }
  process.stdout.write(`BROKEN  ${name}  ${verification.folder ?? '(audit stream only)'}\n`);
  for (const problem of verification.problems) process.stdout.write(`        ${problem}\n`);
}
