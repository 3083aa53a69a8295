/**
 * `--quiet` and `--verbose`, on every command: quiet leaves stderr to errors
 * (no progress lines, pino at `error`), verbose turns pino to `debug`.
 * Without either, the configuration's service.log_level applies.
 */
import { Option, type Command } from 'commander';

type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

let chosen: 'quiet' | 'verbose' | null = null;

/** Adds the two flags to the command and its subcommands, and reads them before the action runs. */
export function withVerbosityOptions(command: Command): Command {
  const has = (flag: string) => command.options.some((option) => option.long === flag);
  if (!has('--quiet')) command.addOption(new Option('--quiet', 'print only results and errors (pino level error)').conflicts('verbose'));
  if (!has('--verbose')) command.addOption(new Option('--verbose', 'log more (pino level debug)'));
  command.hook('preAction', (_command, action) => {
    const options = action.opts<{ quiet?: boolean; verbose?: boolean }>();
    chosen = options.quiet ? 'quiet' : options.verbose ? 'verbose' : null;
  });
  for (const subcommand of command.commands) withVerbosityOptions(subcommand);
  return command;
}

/** The pino level to use: the flag's, else the configured one. */
export function logLevel(configured: LogLevel): LogLevel {
  if (chosen === 'quiet') return 'error';
  if (chosen === 'verbose') return 'debug';
  return configured;
}

export function isQuiet(): boolean {
  return chosen === 'quiet';
}
