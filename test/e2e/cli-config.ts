/** A configuration file for CLI tests: Debian's Python, a fake epics, writes enabled, folders in a temp dir. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../config/schema.ts';
import { installFakeEpics, type FakeEpics } from '../support/fake-epics.ts';

export interface CliSetup {
  configFile: string;
  executionsRoot: string;
  epics: FakeEpics;
}

export function writeCliConfig(folder: string, overrides: Partial<ConfigInput> = {}): CliSetup {
  const epics = installFakeEpics(folder);
  const executionsRoot = join(folder, 'executions');
  const config: ConfigInput = {
    execution: {
      local: { python_env_path: '/usr/bin/python3' },
      modes: {
        read_only: { kernel_name: 'python3', allows_writes: false, environment: epics.environment },
        write_access: { kernel_name: 'python3', allows_writes: true, requires_approval: true, environment: epics.environment },
      },
    },
    control_system: { writes_enabled: true },
    service: { executions_root: executionsRoot },
    ...overrides,
  };
  const configFile = join(folder, 'pyexec.config.yaml');
  writeFileSync(configFile, stringify(config));
  return { configFile, executionsRoot, epics };
}
