/** The analyzer actor: answers `analyze` commands with the static analysis of the code. */
import { analyzeCommandSchema, type AnalyzeReply } from '../protocol/internal.ts';
import { queueGroups, subjects } from '../protocol/subjects.ts';
import type { Bus, Subscription } from '../bus/bus.ts';
import type { CodeAnalyzer } from '../adapters/analysis/analyzer.ts';
import type { Logger } from '../logging/logger.ts';
import { serveRequests } from './message-intake.ts';

export function startAnalyzerActor(options: { bus: Bus; analyzer: CodeAnalyzer; logger: Logger }): Subscription {
  const { bus, analyzer, logger } = options;
  return serveRequests({
    bus,
    subject: subjects.analyze,
    queue: queueGroups.analyzers,
    schema: analyzeCommandSchema,
    logger,
    handle: async (command): Promise<AnalyzeReply> => {
      try {
        return { ok: true, command_id: command.command_id, analysis: await analyzer.analyze(command.code) };
      } catch (error) {
        logger.error({ executionId: command.execution_id, err: error }, 'analyzer crashed');
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, command_id: command.command_id, kind: 'infrastructure', type: 'AnalyzerError', message };
      }
    },
  });
}
