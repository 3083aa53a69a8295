/**
 * Custom generators, registered in config by module and export:
 *
 *   generators:
 *     site_llm: { type: custom, module: ./site/generator.ts, export: createGenerator, options: {...} }
 *
 * The export is either a CodeGenerator (an object with `generateCode`) or a
 * factory `(options, context) => CodeGenerator | Promise<CodeGenerator>`.
 * What it returns is checked at load time and every answer at run time, so a
 * broken plugin fails with its name on it instead of somewhere downstream.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { generatorMetadataSchema } from '../../protocol/internal.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../logging/logger.ts';
import { GeneratorConfigError, sectionPath } from './config-error.ts';
import { GenerationError, type CodeGenerator, type GeneratedCode, type GenerationInput } from './generator.ts';
import { defineGeneratorType, type GeneratorContext } from './registry.ts';

export const customSectionSchema = z
  .object({
    /** A file path (relative to the working folder) or a package name. */
    module: z.string().min(1),
    export: z.string().min(1).default('default'),
    /** Handed to the factory as its first argument. */
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** What a custom factory receives besides its options. */
export interface CustomGeneratorContext {
  name: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

export type CustomGeneratorFactory = (
  options: Record<string, unknown>,
  context: CustomGeneratorContext,
) => CodeGenerator | Promise<CodeGenerator>;

const generatedSchema = z.object({
  code: z.string().min(1, 'must be non-empty Python code'),
  metadata: generatorMetadataSchema,
});

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isCodeGenerator(value: unknown): value is CodeGenerator {
  return typeof value === 'object' && value !== null && typeof (value as { generateCode?: unknown }).generateCode === 'function';
}

function specifier(module: string, cwd: string): string {
  const isPath = module.startsWith('.') || isAbsolute(module);
  return isPath ? pathToFileURL(resolve(cwd, module)).href : module;
}

/** Every answer checked; failures other than GenerationError count as infrastructure (retried, attempt kept). */
function checked(name: string, inner: CodeGenerator): CodeGenerator {
  return {
    name,
    async generateCode(input: GenerationInput): Promise<GeneratedCode> {
      let answer: unknown;
      try {
        answer = await inner.generateCode(input);
      } catch (error) {
        if (error instanceof GenerationError) throw error;
        throw new GenerationError('infrastructure', `custom generator "${name}" failed: ${messageOf(error)}`);
      }
      const result = generatedSchema.safeParse(answer);
      if (!result.success) {
        const issue = result.error.issues[0];
        throw new GenerationError(
          'configuration',
          `custom generator "${name}" gave an invalid answer (${issue?.path.join('.') || 'answer'}: ${issue?.message ?? 'invalid'}): expected { code, metadata: { generator } }`,
        );
      }
      return result.data;
    },
  };
}

async function callFactory(
  factory: CustomGeneratorFactory,
  section: z.output<typeof customSectionSchema>,
  context: GeneratorContext,
): Promise<unknown> {
  try {
    return await factory(section.options, { name: context.name, config: context.config, env: context.env, logger: context.logger });
  } catch (error) {
    const path = sectionPath(context.name).join('.');
    throw new GeneratorConfigError(`${path}: factory "${section.export}" of "${section.module}" failed: ${messageOf(error)}`, path);
  }
}

export const customGeneratorType = defineGeneratorType(customSectionSchema, async (section, context) => {
  const path = sectionPath(context.name).join('.');
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(specifier(section.module, context.cwd))) as Record<string, unknown>;
  } catch (error) {
    throw new GeneratorConfigError(
      `${path}.module: cannot load "${section.module}" (from ${context.cwd}): ${messageOf(error)}`,
      `${path}.module`,
    );
  }
  if (!(section.export in loaded)) {
    throw new GeneratorConfigError(
      `${path}.export: module "${section.module}" has no export "${section.export}" (it exports: ${Object.keys(loaded).join(', ') || 'nothing'})`,
      `${path}.export`,
    );
  }
  const exported = loaded[section.export];
  const candidate = typeof exported === 'function' ? await callFactory(exported as CustomGeneratorFactory, section, context) : exported;
  if (!isCodeGenerator(candidate)) {
    const what = typeof exported === 'function' ? 'returned something that is not a CodeGenerator' : `is a value of type ${exported === null ? 'null' : typeof exported}`;
    throw new GeneratorConfigError(
      `${path}.export: "${section.export}" of "${section.module}" ${what}: expected an object with generateCode(input), or a function returning one`,
      `${path}.export`,
    );
  }
  return checked(context.name, candidate);
});
