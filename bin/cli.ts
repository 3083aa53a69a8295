/**
 * The `pyexec` command line. Each command lives in bin/commands/; errors a
 * person can fix (bad configuration, bad input) are printed in one paragraph
 * with exit status 2, never as a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.ts';
import { ValidationError } from '../actors/errors.ts';
import { GeneratorConfigError } from '../adapters/generators/index.ts';
import { ExecutionFolderError } from '../adapters/store/execution-folder.ts';
import { FolderNameError } from '../adapters/store/folder-name.ts';
import { analyzeCommand } from './commands/analyze.ts';
import { manageCommands } from './commands/manage.ts';
import { runCommand } from './commands/run.ts';
import { executorCommand } from './commands/executor.ts';
import { jupyterCommand } from './commands/jupyter.ts';
import { serveCommand } from './commands/serve.ts';
import { keysCommand } from './commands/keys.ts';
import { auditCommand } from './commands/audit.ts';
import { KeyFileError } from '../adapters/signing/decision-keys.ts';
import { ReviewConfigError } from '../review/index.ts';
import { submitCommand } from './commands/submit.ts';
import { UsageError } from './connection.ts';
import { exitCodes } from './exit-codes.ts';
import { InputFileError } from './input-files.ts';

const program = new Command('pyexec')
  .description('Python execution service for agents: LLM-written code, analysed, approved, run in isolated kernels')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

program.addCommand(runCommand());
program.addCommand(analyzeCommand());
program.addCommand(submitCommand());
for (const command of manageCommands()) program.addCommand(command);
program.addCommand(serveCommand());
program.addCommand(keysCommand());
program.addCommand(auditCommand());
program.addCommand(executorCommand());
program.addCommand(jupyterCommand());
for (const command of program.commands) command.exitOverride();

const userErrors = [ConfigError, ValidationError, InputFileError, UsageError, GeneratorConfigError, ExecutionFolderError, FolderNameError, KeyFileError, ReviewConfigError];

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : exitCodes.usage;
  } else if (refusedByServer(error)) {
    process.stderr.write(`pyexec: the NATS server refused this for the user given (its role does not allow it): ${refusedByServer(error)}\n`);
    process.exitCode = exitCodes.usage;
  } else if (userErrors.some((kind) => error instanceof kind)) {
    process.stderr.write(`pyexec: ${(error as Error).message}\n`);
    process.exitCode = exitCodes.usage;
  } else {
    process.stderr.write(`pyexec: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}

/** A NATS permissions violation anywhere in the cause chain: its message, else null. */
function refusedByServer(error: unknown): string | null {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current.name === 'PermissionViolationError' || /permissions violation/i.test(current.message)) return current.message;
  }
  return null;
}
