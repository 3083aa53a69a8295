/**
 * `pyexec limits check FILE.json` validates a channel limits file (exit 2
 * with every problem, each naming the channel and the field);
 * `pyexec limits show PV` prints a channel's effective limits from the
 * configured file (control_system.limits.file, or --file): the entry they
 * come from, min, max, step, writable, verification, or what the policy does
 * with an unlisted channel. docs/limits.md describes the file.
 */
import { Command, Option } from 'commander';
import type { LimitsDatabase, UnlistedPolicy } from '../../adapters/limits/database.ts';
import { LimitsFileError, loadLimitsFile } from '../../adapters/limits/load.ts';
import { effectiveLimits } from '../../adapters/limits/write-check.ts';
import { InputFileError } from '../input-files.ts';
import { describeLimits } from '../limit-checks-view.ts';
import { configFrom, withCommonOptions, type CommonOptions } from '../options.ts';
import { UsageError } from '../connection.ts';

interface CheckOptions {
  policy: UnlistedPolicy;
  json?: boolean;
}

interface ShowOptions extends CommonOptions {
  file?: string;
  policy?: UnlistedPolicy;
  json?: boolean;
}

const policyOption = () => new Option('--policy <policy>', 'what unlisted channels get').choices(['deny_unlisted', 'allow_unlisted']);

function load(path: string, policy: UnlistedPolicy): LimitsDatabase {
  try {
    return loadLimitsFile(path, policy);
  } catch (error) {
    throw error instanceof LimitsFileError ? new InputFileError(error.message) : error;
  }
}

function check(): Command {
  return new Command('check')
    .description('validate a channel limits file (exit 2 with each problem, naming the channel and the field)')
    .argument('<file>', 'the limits JSON file')
    .addOption(policyOption().default('deny_unlisted'))
    .option('--json', 'print JSON')
    .action((file: string, options: CheckOptions) => {
      const database = load(file, options.policy);
      const summary = { file, valid: true, version: database.version, channels: database.channels.size, patterns: database.patterns.length };
      if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stdout.write(`${file}: valid — ${summary.channels} channels, ${summary.patterns} patterns, version ${database.version}\n`);
    });
}

function show(): Command {
  return withCommonOptions(
    new Command('show')
      .description("print a channel's effective limits (its entry over defaults, or the pattern that matches it)")
      .argument('<pv>', 'channel name')
      .option('--file <file>', 'the limits JSON file (default: control_system.limits.file)')
      .addOption(policyOption())
      .option('--json', 'print JSON'),
  ).action((pv: string, options: ShowOptions) => {
    const configured = options.file === undefined || options.policy === undefined ? configFrom(options).control_system.limits : null;
    const file = options.file ?? configured?.file;
    if (!file) throw new UsageError('limits show: no limits file configured (control_system.limits.file): give --file');
    const policy = options.policy ?? configured?.policy ?? 'deny_unlisted';
    const database = load(file, policy);
    const match = database.lookup(pv);
    const limits = match ? effectiveLimits(match) : null;
    const unlisted = policy === 'deny_unlisted' ? 'writes are refused (deny_unlisted)' : 'writes are allowed without limits (allow_unlisted)';
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ pv, listed: match !== null, limits, policy, version: database.version, file })}\n`);
    } else if (limits) {
      process.stdout.write(`${pv}: ${describeLimits(limits)}\n  entry ${limits.entry}; limits file ${file}, version ${database.version.slice(0, 12)}\n`);
    } else {
      process.stdout.write(`${pv}: not in the limits database — ${unlisted}\n  limits file ${file}, version ${database.version.slice(0, 12)}\n`);
    }
  });
}

export function limitsCommand(): Command {
  return new Command('limits').description('the channel limits database: check a file, show a channel').addCommand(check()).addCommand(show());
}
