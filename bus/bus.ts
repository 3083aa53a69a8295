/**
 * The message bus: publish/subscribe with queue groups and request/reply.
 * Payloads are JSON values; receivers validate them with the zod schemas in
 * protocol/. Implemented in-process (memory/bus.ts) and on NATS.
 */

export interface Message {
  subject: string;
  /** The decoded JSON payload, not yet validated. */
  data: unknown;
  /** Present on requests: answer with `respond`. */
  reply?: string;
  /** Message headers (W3C trace context travels here); absent when none were sent. */
  headers?: MessageHeaders;
}

/** Header names to values; one value each. */
export type MessageHeaders = Readonly<Record<string, string>>;

export interface PublishOptions {
  headers?: MessageHeaders;
}

export type MessageHandler = (message: Message) => void | Promise<void>;

export interface SubscribeOptions {
  /** Members of one queue group share the messages: each goes to one of them. */
  queue?: string;
}

export interface Subscription {
  unsubscribe(): Promise<void>;
}

export interface RequestOptions extends PublishOptions {
  timeoutMs: number;
}

export interface Bus {
  publish(subject: string, data: unknown, options?: PublishOptions): Promise<void>;
  /** `subject` may use NATS wildcards: `*` one token, `>` the rest. */
  subscribe(subject: string, handler: MessageHandler, options?: SubscribeOptions): Subscription;
  /** Sends a request and waits for the first reply; rejects with BusTimeoutError or NoRespondersError. */
  request(subject: string, data: unknown, options: RequestOptions): Promise<unknown>;
  respond(message: Message, data: unknown): Promise<void>;
  close(): Promise<void>;
}

export class BusTimeoutError extends Error {
  constructor(subject: string, timeoutMs: number) {
    super(`no reply on ${subject} within ${timeoutMs} ms`);
    this.name = 'BusTimeoutError';
  }
}

export class NoRespondersError extends Error {
  constructor(subject: string) {
    super(`no responders on ${subject}`);
    this.name = 'NoRespondersError';
  }
}
