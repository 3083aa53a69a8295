/**
 * Configuration errors of generators. Each generator validates its own
 * section (plugin style); problems are reported with the full key path
 * (`execution.generators.<name>.<field>`) through the config loader's
 * formatter, so they read like every other configuration error.
 */
import { z } from 'zod';
import { ConfigError, describeConfigIssues } from '../../config/load.ts';

export class GeneratorConfigError extends ConfigError {
  constructor(
    message: string,
    /** Key path of the offending setting, e.g. `execution.generators.openai.model`. */
    readonly keyPath: string,
    /** The environment variable to set, when the problem is a missing one. */
    readonly variable?: string,
  ) {
    super(message, keyPath);
    this.name = 'GeneratorConfigError';
  }
}

export function sectionPath(name: string): string[] {
  return ['execution', 'generators', name];
}

/** Secrets never appear in error messages, even when their value is invalid. */
const secretFields = new Set(['api_key']);

function redactSecrets(section: unknown): unknown {
  if (section === null || typeof section !== 'object' || Array.isArray(section)) return section;
  return Object.fromEntries(
    Object.entries(section).map(([key, value]) => [key, secretFields.has(key) ? '[redacted]' : value]),
  );
}

/** Parses a generator's section with its own schema; errors name `execution.generators.<name>.<field>`. */
export function parseSection<S extends z.ZodType>(schema: S, section: unknown, name: string): z.output<S> {
  const result = schema.safeParse(section ?? {});
  if (result.success) return result.data;
  const prefix = sectionPath(name);
  const located = new z.ZodError(result.error.issues.map((issue) => ({ ...issue, path: [...prefix, ...issue.path] })));
  const raw = { execution: { generators: { [name]: redactSecrets(section) } } };
  throw new GeneratorConfigError(describeConfigIssues(located, raw), prefix.join('.'));
}
