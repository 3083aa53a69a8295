/**
 * Loads the configuration: a YAML file (pyexec.config.yaml in the working
 * folder, or an explicit path), `${VAR}` / `${VAR:-default}` interpolated in
 * string values (never in the YAML text, so a variable cannot inject keys),
 * then validated by the one schema. Every error names the key path, the value
 * and what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { PyexecError } from '../protocol/errors.ts';
import { configSchema, type Config } from './schema.ts';

export const defaultConfigFile = 'pyexec.config.yaml';

export class ConfigError extends PyexecError {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super('invalid_config', `invalid configuration (${source}):\n${message}`);
    this.name = 'ConfigError';
  }
}

const variablePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed document. */
export function interpolate(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(variablePattern, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      return found !== undefined && found !== '' ? found : (fallback ?? '');
    });
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env)]));
  }
  return value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function showValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return 'nothing';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** One line per problem: `execution.modes.read_only.allows_writes = "no": expected boolean`. */
export function describeConfigIssues(error: z.ZodError, raw: unknown): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys
          .map((key) => {
            const path = [...issue.path, key].map(String).join('.');
            return `${path}: unknown key (value ${showValue(valueAt(raw, [...issue.path, key]))})`;
          })
          .join('\n');
      }
      const path = issue.path.map(String).join('.') || '(root)';
      return `${path} = ${showValue(valueAt(raw, issue.path))}: ${issue.message}`;
    })
    .join('\n');
}

/** Validates an already-parsed document (after interpolation). */
export function parseConfig(document: unknown, source = 'inline', env: NodeJS.ProcessEnv = process.env): Config {
  const raw = interpolate(document ?? {}, env);
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeConfigIssues(result.error, raw), source);
  return result.data;
}

/**
 * The YAML parser, loaded on the first file read: most one-shot commands run
 * on defaults, and loading it costs each of them ~0.05 s of start-up.
 * Synchronous (require), as loadConfig is.
 */
function yamlParser(): typeof import('yaml').parse {
  return (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse;
}

/**
 * Reads `path`, or pyexec.config.yaml in `cwd` when it exists, or nothing
 * (all defaults). An explicit path that does not exist is an error.
 */
export function loadConfig(options: { path?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const explicit = options.path !== undefined;
  const file = resolve(cwd, options.path ?? defaultConfigFile);
  if (!existsSync(file)) {
    if (explicit) throw new ConfigError(`file not found: ${file}`, file);
    return parseConfig({}, 'defaults', env);
  }
  let document: unknown;
  try {
    document = yamlParser()(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`not valid YAML: ${(error as Error).message}`, file);
  }
  if (document !== null && (typeof document !== 'object' || Array.isArray(document))) {
    throw new ConfigError('the top level must be a mapping of keys', file);
  }
  return parseConfig(document, file, env);
}
