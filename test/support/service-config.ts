/**
 * The configuration the service tests run on: Debian's Python, the fake
 * epics package on both modes' PYTHONPATH (write mode behind an approval),
 * control-system writes enabled, executions below the test's folder (where
 * the fake epics' writes() looks for them). As config input for a service
 * in the test's process, or as a file for the CLI and `loadConfig`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/load.ts';
import type { Config, ConfigInput } from '../../config/schema.ts';
import { installFakeEpics, type FakeEpics } from './fake-epics.ts';

export interface ServiceSetup {
  configInput: ConfigInput;
  executionsRoot: string;
  epics: FakeEpics;
}

/** Sections in `overrides` replace the defaults', except `service`, whose fields are added to the executions root. */
export function serviceSetup(folder: string, overrides: Partial<ConfigInput> = {}): ServiceSetup {
  const epics = installFakeEpics(folder);
  const executionsRoot = join(folder, 'executions');
  const { service, ...sections } = overrides;
  const configInput: ConfigInput = {
    execution: {
      local: { python_env_path: '/usr/bin/python3' },
      modes: {
        read_only: { kernel_name: 'python3', allows_writes: false, environment: epics.environment },
        write_access: { kernel_name: 'python3', allows_writes: true, requires_approval: true, environment: epics.environment },
      },
    },
    control_system: { writes_enabled: true },
    ...sections,
    service: { executions_root: executionsRoot, ...service },
  };
  return { configInput, executionsRoot, epics };
}

export function configOf(setup: ServiceSetup): Config {
  return parseConfig(setup.configInput, 'test');
}

export interface ConfigFileSetup extends ServiceSetup {
  configFile: string;
}

/** The same configuration written to `folder`/pyexec.config.yaml. */
export function writeConfigFile(folder: string, overrides: Partial<ConfigInput> = {}): ConfigFileSetup {
  const setup = serviceSetup(folder, overrides);
  const configFile = join(folder, 'pyexec.config.yaml');
  writeFileSync(configFile, stringify(setup.configInput));
  return { ...setup, configFile };
}
