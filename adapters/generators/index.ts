/**
 * The generator factory: `execution.code_generator` names a generator; its
 * section `execution.generators.<name>` configures it. The section's `type`
 * picks the implementation, defaulting to the name itself, so
 * `code_generator: basic` works with no section at all, and
 * `generators.local_qwen: { type: basic, base_url: ... }` adds a named one.
 */
import type { Config } from '../../config/schema.ts';
import { silentLogger, type Logger } from '../../logging/logger.ts';
import { GeneratorConfigError, sectionPath } from './config-error.ts';
import { customGeneratorType } from './custom.ts';
import type { CodeGenerator } from './generator.ts';
import { hybridGeneratorType } from './hybrid.ts';
import { createMockGenerator, mockSectionSchema } from './mock.ts';
import { defineGeneratorType, type GeneratorType } from './registry.ts';

/**
 * The SDK-backed types load their module (and the openai or Anthropic SDK)
 * when a generator of theirs is built: a run on the mock generator or with
 * --code never pays for them.
 */
export const builtinGeneratorTypes: Readonly<Record<string, GeneratorType>> = {
  mock: defineGeneratorType(mockSectionSchema, (section) => createMockGenerator(section)),
  basic: async (section, context) => (await import('./basic.ts')).basicGeneratorType(section, context),
  anthropic: async (section, context) => (await import('./anthropic.ts')).anthropicGeneratorType(section, context),
  hybrid: hybridGeneratorType,
  custom: customGeneratorType,
};

export interface CreateGeneratorOptions {
  /** Where API keys are read from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Folder that custom generators' relative module paths start from (default: process.cwd()). */
  cwd?: string;
  logger?: Logger;
  /** Generator types added by the embedding application, by the name a section's `type` uses. */
  types?: Readonly<Record<string, GeneratorType>>;
}

/** The implementation a section asks for: its `type`, else its own name when that is a type. */
function typeNameOf(section: Record<string, unknown> | undefined, name: string, types: Readonly<Record<string, GeneratorType>>): string {
  const known = Object.keys(types).join(', ');
  const keyPath = `${sectionPath(name).join('.')}.type`;
  if (section?.type === undefined) {
    if (types[name]) return name;
    throw new GeneratorConfigError(`${keyPath}: missing: "${name}" is not a generator type, so its section must say type: (one of ${known})`, keyPath);
  }
  if (typeof section.type !== 'string' || !types[section.type]) {
    throw new GeneratorConfigError(`${keyPath} = ${JSON.stringify(section.type)}: unknown generator type: expected one of ${known}`, keyPath);
  }
  return section.type;
}

export async function createGenerator(
  config: Config,
  name: string = config.execution.code_generator,
  options: CreateGeneratorOptions = {},
): Promise<CodeGenerator> {
  const types = { ...builtinGeneratorTypes, ...options.types };
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const logger = options.logger ?? silentLogger;
  const building: string[] = [];

  async function build(generatorName: string, keyPath: string): Promise<CodeGenerator> {
    if (building.includes(generatorName)) {
      throw new GeneratorConfigError(`${keyPath}: generator "${generatorName}" refers back to itself (${[...building, generatorName].join(' → ')})`, keyPath);
    }
    const section = config.execution.generators[generatorName];
    if (section === undefined && !types[generatorName]) {
      const message =
        `${keyPath} = "${generatorName}": no such generator: define execution.generators.${generatorName} ` +
        `or use a built-in one (${Object.keys(types).join(', ')})`;
      throw new GeneratorConfigError(message, keyPath);
    }
    const typeName = typeNameOf(section, generatorName, types);
    const create = types[typeName]!;
    const settings = Object.fromEntries(Object.entries(section ?? {}).filter(([key]) => key !== 'type'));
    building.push(generatorName);
    try {
      const generator = await create(settings, { name: generatorName, config, env, cwd, logger, resolve: build });
      logger.debug({ generator: generatorName, type: typeName }, 'code generator ready');
      return generator;
    } finally {
      building.pop();
    }
  }

  return build(name, 'execution.code_generator');
}

export { GenerationError, type CodeGenerator, type GeneratedCode, type GenerationInput } from './generator.ts';
export { GeneratorConfigError } from './config-error.ts';
export { defineGeneratorType, type GeneratorContext, type GeneratorType } from './registry.ts';
export type { CustomGeneratorContext, CustomGeneratorFactory } from './custom.ts';
export { extractCode } from './extract.ts';
export { buildPrompt } from './prompt.ts';
