#!/usr/bin/env node
/**
 * The `pyexec` command line. Agents call it once per task, so start-up is
 * paid on every call: this file loads commander and nothing else. Each
 * command's module, and with it the SDKs, kernels and bus clients that
 * command needs, is imported only when that command is the one being run;
 * `pyexec --help` lists the commands from the table below without loading any.
 *
 * To add a command: a module bin/commands/<name>.ts exporting a function that
 * builds its commander Command, and one entry in `commands` with a one-line
 * summary and a dynamic import() of that module. Never a static import of a
 * command module here.
 *
 * Errors of the catalogue (protocol/errors.ts: bad configuration, bad input,
 * ...) are printed in one paragraph with the exit status of their code
 * (bin/exit-codes.ts), never as a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { PyexecError, type ErrorCode } from '../protocol/errors.ts';
import { exitCodeForError, exitCodes } from './exit-codes.ts';
import { withVerbosityOptions } from './verbosity.ts';

interface LazyCommand {
  /** One line in `pyexec --help`. */
  summary: string;
  load(): Promise<Command>;
  /** Runs until stopped (a service): optimised code pays off over its life. */
  longRunning?: true;
}

const manage = async (name: string) => {
  const { manageCommands } = await import('./commands/manage.ts');
  const command = manageCommands().find((candidate) => candidate.name() === name);
  if (!command) throw new Error(`bin/commands/manage.ts defines no "${name}" command`);
  return command;
};

const commands: Record<string, LazyCommand> = {
  run: { summary: 'generate (or take), analyse, approve and run Python for a task', load: async () => (await import('./commands/run.ts')).runCommand() },
  analyze: { summary: 'analyse Python files and folders as the service would (text, JSON lines, SARIF)', load: async () => (await import('./commands/analyze.ts')).analyzeCommand() },
  submit: { summary: 'submit an execution request to a running service', load: async () => (await import('./commands/submit.ts')).submitCommand() },
  list: { summary: 'list executions with their state', load: () => manage('list') },
  watch: { summary: 'follow an execution until it ends', load: () => manage('watch') },
  approve: { summary: 'approve the pending approval of an execution', load: () => manage('approve') },
  reject: { summary: 'reject the pending approval of an execution', load: () => manage('reject') },
  cancel: { summary: 'cancel an execution', load: () => manage('cancel') },
  serve: { summary: 'run the service (and the review page with --ui)', load: async () => (await import('./commands/serve.ts')).serveCommand(), longRunning: true },
  executor: { summary: 'run a kernel executor on NATS', load: async () => (await import('./commands/executor.ts')).executorCommand(), longRunning: true },
  audit: { summary: 'show or verify the hash-chained audit trail', load: async () => (await import('./commands/audit.ts')).auditCommand() },
  keys: { summary: 'approver keys and operator passwords', load: async () => (await import('./commands/keys.ts')).keysCommand() },
  jupyter: { summary: "start a Jupyter Server with pyexec's kernelspecs", load: async () => (await import('./commands/jupyter.ts')).jupyterCommand(), longRunning: true },
  mcp: { summary: 'serve pyexec to agents over the Model Context Protocol (stdio, or HTTP with --http)', load: async () => (await import('./commands/mcp.ts')).mcpCommand(), longRunning: true },
  pipeline: { summary: "run a pipeline file's stages, each with the results of the stages it names", load: async () => (await import('./commands/pipeline.ts')).pipelineCommand() },
  limits: { summary: 'the channel limits database: check a limits file, show a channel\'s limits', load: async () => (await import('./commands/limits.ts')).limitsCommand() },
};

const program = new Command('pyexec')
  .description('Python execution service for agents: LLM-written code, analysed, approved, run in isolated kernels')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

try {
  const wanted = commandNameIn(process.argv.slice(2));
  if (wanted !== undefined && !commands[wanted]?.longRunning) await baselineWebAssembly();
  for (const [name, entry] of Object.entries(commands)) {
    const command = name === wanted ? await entry.load() : new Command(name).description(entry.summary);
    program.addCommand(withVerbosityOptions(command.summary(entry.summary)));
  }
  for (const command of program.commands) command.exitOverride();
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : exitCodes.usage;
    if (process.exitCode !== 0) reportJson(error.message, 'usage');
  } else if (refusedByServer(error)) {
    fail(`the NATS server refused this for the user given (its role does not allow it): ${refusedByServer(error)}`, exitCodeForError('not_permitted'), 'not_permitted');
  } else if (error instanceof PyexecError) {
    fail(error.message, exitCodeForError(error.code), error.code);
  } else {
    fail(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 1);
  }
}

/**
 * A one-shot command compiles WebAssembly (the tree-sitter Python grammar of
 * the analyzer) with V8's baseline compiler only. The optimising tier cost
 * `pyexec analyze` of a 50-line file 0.45 s of its 1.2 s of CPU, on the
 * second core that the kernel's and the analyzer's Python processes need too;
 * a process that lives for one task never earns that back. (node:v8 is
 * imported here: `pyexec --help` compiles nothing and skips its load.)
 */
async function baselineWebAssembly(): Promise<void> {
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--liftoff-only');
}

/** The command the arguments name (`pyexec help run` names run); undefined for `pyexec --help`. */
function commandNameIn(args: string[]): string | undefined {
  const words = args.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/** `code`: the error's code in the catalogue; an unexpected error has none. */
function fail(message: string, exitCode: number, code?: ErrorCode): void {
  process.stderr.write(`pyexec: ${message}\n`);
  process.exitCode = exitCode;
  reportJson(message, code);
}

/** With --json, stdout holds one JSON document whatever happens: here the error. */
function reportJson(message: string, code?: ErrorCode): void {
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { message, exit_code: process.exitCode, ...(code ? { code } : {}) } })}\n`);
}

/** A NATS permissions violation anywhere in the cause chain: its message, else null. */
function refusedByServer(error: unknown): string | null {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current.name === 'PermissionViolationError' || /permissions violation/i.test(current.message)) return current.message;
  }
  return null;
}
