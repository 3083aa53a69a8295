/**
 * Typed edges of the bus: every message an actor receives is parsed with its
 * zod schema here; one that does not parse is refused with a protocol error
 * on `pyexec.errors` (and a reply, for requests) that says what was wrong.
 */
import type { z } from 'zod';
import type { Bus, Message } from '../bus/bus.ts';
import { describeZodError, type ProtocolError } from '../bus/messages.ts';
import { subjects } from '../bus/subjects.ts';
import type { Logger } from '../adapters/logger.ts';

export class InvalidMessageError extends Error {
  constructor(
    readonly subject: string,
    readonly details: string,
  ) {
    super(`invalid message on ${subject}:\n${details}`);
    this.name = 'InvalidMessageError';
  }
}

export function parseMessage<S extends z.ZodType>(schema: S, subject: string, data: unknown): z.output<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new InvalidMessageError(subject, describeZodError(parsed.error));
  return parsed.data;
}

export async function publishProtocolError(bus: Bus, subject: string, error: string, executionId?: string): Promise<void> {
  const message: ProtocolError = { subject, error, execution_id: executionId, at: new Date().toISOString() };
  await bus.publish(subjects.errors, message);
}

/**
 * Answers requests on `subject` (queue group `queue`) with `handle`, after
 * validating them. An invalid request gets `{ ok: false, kind: 'configuration' }`
 * back and a protocol error; it never reaches the handler.
 */
export function serveRequests<S extends z.ZodType>(options: {
  bus: Bus;
  subject: string;
  queue: string;
  schema: S;
  logger: Logger;
  handle: (request: z.output<S>) => Promise<unknown>;
}): ReturnType<Bus['subscribe']> {
  const { bus, subject, queue, schema, logger, handle } = options;
  return bus.subscribe(
    subject,
    async (message: Message) => {
      let request: z.output<S>;
      try {
        request = parseMessage(schema, subject, message.data);
      } catch (error) {
        const text = (error as Error).message;
        logger.warn({ subject }, text);
        await publishProtocolError(bus, subject, text);
        if (message.reply) await bus.respond(message, { ok: false, command_id: 'invalid', kind: 'configuration', type: 'InvalidMessage', message: text });
        return;
      }
      const reply = await handle(request);
      if (message.reply) await bus.respond(message, reply);
    },
    { queue },
  );
}
