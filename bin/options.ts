/** Options shared by every command, and loading the configuration they point at. */
import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { logLevel } from './verbosity.ts';

export interface CommonOptions {
  config?: string;
  stateDir?: string;
  executionsRoot?: string;
}

/** Where the NATS server is and who we are to it; absent `nats` means the embedded default. */
export interface NatsOptions {
  nats?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  replicas?: string;
}

export type ConnectionOptions = CommonOptions & NatsOptions;

export function withCommonOptions(command: Command): Command {
  return command
    .option('-c, --config <path>', 'configuration file (default: ./pyexec.config.yaml when present)')
    .option('--state-dir <dir>', 'keep executions on disk here, so they survive a restart (embedded default)')
    .option('--executions-root <dir>', 'where execution folders go (default: config service.executions_root)');
}

export function configFrom(options: CommonOptions): Config {
  const config = loadConfig({ path: options.config });
  return {
    ...config,
    service: {
      ...config.service,
      state_dir: options.stateDir ?? config.service.state_dir,
      executions_root: options.executionsRoot ?? config.service.executions_root,
      log_level: logLevel(config.service.log_level),
    },
  };
}

/**
 * The NATS flags of every command that can work against a NATS server. Each
 * also reads an environment variable, so secrets need not be on the command
 * line (where `ps` shows them).
 */
export function withNatsOptions(command: Command): Command {
  return command
    .addOption(new Option('--nats <urls>', 'NATS server URL(s), comma-separated: work against a pyexec service on NATS').env('PYEXEC_NATS_URL'))
    .addOption(new Option('--user <name>', 'NATS user').env('PYEXEC_NATS_USER'))
    .addOption(new Option('--password <secret>', 'NATS password (better: the environment variable)').env('PYEXEC_NATS_PASSWORD'))
    .addOption(new Option('--token <secret>', 'NATS token (better: the environment variable)').env('PYEXEC_NATS_TOKEN'))
    .addOption(new Option('--creds <file>', 'NATS credentials file (JWT and nkey seed)').env('PYEXEC_NATS_CREDS'))
    .addOption(new Option('--nkey <file>', 'file holding an nkey seed').env('PYEXEC_NATS_NKEY'))
    .addOption(new Option('--replicas <n>', 'copies of the KV bucket and streams when this process creates them (3 on a cluster)').env('PYEXEC_NATS_REPLICAS'));
}

/** The common options plus the NATS ones. */
export function withConnectionOptions(command: Command): Command {
  return withNatsOptions(withCommonOptions(command));
}
