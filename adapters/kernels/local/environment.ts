/**
 * The environment generated code sees: an allow-list, never a copy of ours.
 * API keys, bus credentials and anything else in the service's environment
 * stay out; the execution mode adds its own variables on top.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const inheritedNames = new Set(['PATH', 'LANG', 'TZ']);
const fallbackPath = '/usr/local/bin:/usr/bin:/bin';

/** Shared by every execution, so matplotlib builds its font cache once, not per folder. */
export const matplotlibConfigDir = join(tmpdir(), 'pyexec-matplotlib');

export function scrubbedEnvironment(
  home: string,
  modeEnvironment: Readonly<Record<string, string>>,
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && (inheritedNames.has(name) || name.startsWith('LC_'))) environment[name] = value;
  }
  environment.PATH ??= fallbackPath;
  environment.HOME = home;
  environment.MPLBACKEND = 'Agg';
  environment.MPLCONFIGDIR = matplotlibConfigDir;
  return { ...environment, ...modeEnvironment };
}
