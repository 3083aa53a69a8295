/**
 * The generator actor: answers `generate` commands with code from the
 * configured generator (or the one the request names). Generators are built
 * once per name and reused. Repeated command ids (a re-issued command after a
 * supervisor restart) get the answer already computed.
 */
import { generateCommandSchema, type GenerateCommand, type GenerateReply } from '../protocol/internal.ts';
import { queueGroups, subjects } from '../protocol/subjects.ts';
import type { Bus, Subscription } from '../bus/bus.ts';
import type { CodeGenerator } from '../adapters/generators/generator.ts';
import { GenerationError } from '../adapters/generators/generator.ts';
import type { Logger } from '../logging/logger.ts';
import { serveRequests } from './message-intake.ts';

export type GeneratorLookup = (name: string | undefined) => Promise<CodeGenerator>;

export function startGeneratorActor(options: { bus: Bus; generators: GeneratorLookup; logger: Logger }): Subscription {
  const { bus, generators, logger } = options;
  return serveRequests({
    bus,
    subject: subjects.generate,
    queue: queueGroups.generators,
    schema: generateCommandSchema,
    logger,
    handle: generate,
  });

  async function generate(command: GenerateCommand): Promise<GenerateReply> {
    const progress = (message: string) =>
      void bus.publish(subjects.events(command.execution_id), {
        kind: 'progress',
        execution_id: command.execution_id,
        stage: 'generating',
        message,
        at: new Date().toISOString(),
      });
    try {
      const generator = await generators(command.request.generator);
      const generated = await generator.generateCode({
        executionId: command.execution_id,
        attempt: command.attempt,
        request: command.request,
        errorChain: command.error_chain,
        folder: command.folder,
        onProgress: progress,
      });
      if (generated.code.trim() === '') {
        return failure(command, new GenerationError('unusable', 'the generator returned no code'));
      }
      return { ok: true, command_id: command.command_id, code: generated.code, metadata: generated.metadata };
    } catch (error) {
      logger.warn({ executionId: command.execution_id, err: error }, 'generation failed');
      return failure(command, error);
    }
  }
}

function failure(command: GenerateCommand, error: unknown): GenerateReply {
  if (error instanceof GenerationError) {
    return { ok: false, command_id: command.command_id, kind: error.kind, type: error.name, message: error.message, raw: error.raw };
  }
  const message = error instanceof Error ? error.message : String(error);
  const type = error instanceof Error ? error.name : 'Error';
  // An unexpected error is the generator's infrastructure failing, not the code.
  return { ok: false, command_id: command.command_id, kind: 'infrastructure', type, message };
}
