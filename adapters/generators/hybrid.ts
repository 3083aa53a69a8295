/**
 * `hybrid`: two configured generators composed — the first writes the first
 * attempt (cheap, fast, local), the second every retry (stronger, and it
 * sees the failures).
 */
import { z } from 'zod';
import { sectionPath } from './config-error.ts';
import type { CodeGenerator } from './generator.ts';
import { defineGeneratorType } from './registry.ts';

export const hybridSectionSchema = z
  .object({
    /** Generator (a section name or a built-in type) for attempt 1. */
    first: z.string().min(1),
    /** Generator for attempts 2 and later. */
    retries: z.string().min(1),
  })
  .strict();

export function createHybridGenerator(name: string, first: CodeGenerator, retries: CodeGenerator): CodeGenerator {
  return {
    name,
    async generateCode(input) {
      const chosen = input.attempt <= 1 ? first : retries;
      const generated = await chosen.generateCode(input);
      return { code: generated.code, metadata: { ...generated.metadata, hybrid: name } };
    },
  };
}

export const hybridGeneratorType = defineGeneratorType(hybridSectionSchema, async (section, context) => {
  const path = sectionPath(context.name).join('.');
  const first = await context.resolve(section.first, `${path}.first`);
  const retries = await context.resolve(section.retries, `${path}.retries`);
  return createHybridGenerator(context.name, first, retries);
});
