/**
 * Messages on receipt, for every actor: each is parsed with its zod schema
 * (protocol/) here; one that does not parse is refused with a protocol error
 * on `pyexec.errors` (and a reply, for requests) that says what was wrong.
 */
import type { z } from 'zod';
import type { Bus, Message } from '../bus/bus.ts';
import { describeZodError } from '../protocol/zod-error.ts';
import { executionIdSchema } from '../protocol/fields.ts';
import { type ProtocolError } from '../protocol/public.ts';
import { executionIdOfSubject, subjects } from '../protocol/subjects.ts';
import type { Logger } from '../logging/logger.ts';
import { RecentAnswers } from './recent-answers.ts';
import type { Publication } from './transition-outputs.ts';

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

/** The problems of a refused message, one line each: an invalid message's field lines, without a header. */
export function problemsOf(error: unknown): string {
  if (error instanceof InvalidMessageError) return error.details;
  return error instanceof Error ? error.message : String(error);
}

/** Publishes in order: events on pyexec.events.<id>, protocol errors (about that execution) on pyexec.errors. */
export async function publishAll(bus: Bus, executionId: string, publications: Publication[]): Promise<void> {
  for (const publication of publications) {
    if ('event' in publication) await bus.publish(subjects.events(executionId), publication.event);
    else await publishProtocolError(bus, publication.protocolError.subject, publication.protocolError.error, executionId);
  }
}

/**
 * The execution a message names, for its protocol error: the subject's id,
 * else the body's `execution_id` when it is a valid one (even if the rest of
 * the body is not).
 */
export function executionIdNamed(subject: string, payload: unknown): string | undefined {
  const fromSubject = executionIdOfSubject(subject);
  if (fromSubject) return fromSubject;
  const named = executionIdSchema.safeParse((payload as { execution_id?: unknown } | null)?.execution_id);
  return typeof payload === 'object' && named.success ? named.data : undefined;
}

/** Refuses a message on pyexec.errors: the subject it arrived on, the execution it names, one line per problem. */
export function refuseMessage(bus: Bus, subject: string, payload: unknown, error: unknown): Promise<void> {
  return publishProtocolError(bus, subject, problemsOf(error), executionIdNamed(subject, payload));
}

/**
 * Answers commands on `subject` (queue group `queue`) with `handle`, after
 * validating them. An invalid command gets `{ ok: false, kind: 'configuration' }`
 * back and a protocol error; it never reaches the handler. Each command id
 * is answered once: a repeated command (re-issued after a supervisor
 * restart, or retried) gets the answer already computed or in flight.
 */
export function serveRequests<S extends z.ZodType<{ command_id: string }>, R>(options: {
  bus: Bus;
  subject: string;
  queue: string;
  schema: S;
  logger: Logger;
  handle: (request: z.output<S>) => Promise<R>;
}): ReturnType<Bus['subscribe']> {
  const { bus, subject, queue, schema, logger, handle } = options;
  const answers = new RecentAnswers<R>();
  return bus.subscribe(
    subject,
    async (message: Message) => {
      let request: z.output<S>;
      try {
        request = parseMessage(schema, subject, message.data);
      } catch (error) {
        const text = (error as Error).message;
        logger.warn({ subject }, text);
        await refuseMessage(bus, subject, message.data, error);
        if (message.reply) await bus.respond(message, { ok: false, command_id: 'invalid', kind: 'configuration', type: 'InvalidMessage', message: text });
        return;
      }
      const reply = await answers.once(request.command_id, () => handle(request));
      if (message.reply) await bus.respond(message, reply);
    },
    { queue },
  );
}

/**
 * Why a message on a per-execution queue (pyexec.decisions, pyexec.cancels)
 * is misaddressed, or null: it must arrive on `<queue>.<execution_id>` with
 * the id its body names, so that subject permissions can confine a user to
 * some executions.
 */
export function addressingProblem(queue: string, subject: string, executionId: string): string | null {
  if (subject === queue) return `subject: must be ${queue}.<execution_id> (here ${queue}.${executionId}), not ${queue}`;
  if (subject !== `${queue}.${executionId}`) return `execution_id: the body names ${executionId}, the subject ${subject} does not`;
  return null;
}
