/**
 * Generator types are plugins: each validates its own config section with
 * its own schema and builds a CodeGenerator from it. The factory in index.ts
 * picks the type from the section (`type:`) or from the section's name.
 */
import type { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../logging/logger.ts';
import { parseSection } from './config-error.ts';
import type { CodeGenerator } from './generator.ts';

export interface GeneratorContext {
  /** The section's name under `execution.generators`. */
  name: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  /** Folder that relative module paths are resolved against. */
  cwd: string;
  logger: Logger;
  /** Builds another configured generator by name; `keyPath` is the setting that names it. */
  resolve(name: string, keyPath: string): Promise<CodeGenerator>;
}

export type GeneratorType = (section: unknown, context: GeneratorContext) => Promise<CodeGenerator>;

export function defineGeneratorType<S extends z.ZodType>(
  schema: S,
  build: (section: z.output<S>, context: GeneratorContext) => CodeGenerator | Promise<CodeGenerator>,
): GeneratorType {
  return async (section, context) => build(parseSection(schema, section, context.name), context);
}
