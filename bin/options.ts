/** Options shared by every command, and loading the configuration they point at. */
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

export interface CommonOptions {
  config?: string;
  stateDir?: string;
  executionsRoot?: string;
}

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
    },
  };
}
