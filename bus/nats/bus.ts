/**
 * The bus on core NATS: subjects, wildcards and queue groups are NATS's own;
 * request/reply uses the client's muxed inbox and maps its errors onto the
 * transport's BusTimeoutError / NoRespondersError.
 */
import { errors, type Msg, type NatsConnection } from '@nats-io/transport-node';
import type { Bus, Message, MessageHandler, PublishOptions, RequestOptions, SubscribeOptions, Subscription } from '../bus.ts';
import { BusTimeoutError, NoRespondersError } from '../bus.ts';
import { causedBy, decodePayload, encodePayload, fromNatsHeaders, toNatsHeaders } from './payload.ts';

export type HandlerErrorHook = (error: unknown, subject: string) => void;

export class NatsBus implements Bus {
  private readonly subscriptions = new Set<{ unsubscribe(): void }>();

  constructor(
    private readonly connection: NatsConnection,
    private readonly onHandlerError: HandlerErrorHook = () => {},
  ) {}

  async publish(subject: string, data: unknown, options: PublishOptions = {}): Promise<void> {
    this.connection.publish(subject, encodePayload(data), { headers: toNatsHeaders(options.headers) });
  }

  subscribe(subject: string, handler: MessageHandler, options: SubscribeOptions = {}): Subscription {
    const subscription = this.connection.subscribe(subject, {
      queue: options.queue,
      callback: (error, msg) => {
        if (error) this.onHandlerError(error, subject);
        else this.deliver(handler, msg);
      },
    });
    this.subscriptions.add(subscription);
    return {
      unsubscribe: async () => {
        this.subscriptions.delete(subscription);
        subscription.unsubscribe();
      },
    };
  }

  async request(subject: string, data: unknown, options: RequestOptions): Promise<unknown> {
    try {
      const reply = await this.connection.request(subject, encodePayload(data), { timeout: options.timeoutMs, headers: toNatsHeaders(options.headers) });
      return decodePayload(reply.string());
    } catch (error) {
      if (causedBy(error, errors.NoRespondersError)) throw new NoRespondersError(subject);
      if (causedBy(error, errors.TimeoutError)) throw new BusTimeoutError(subject, options.timeoutMs);
      throw error;
    }
  }

  async respond(message: Message, data: unknown): Promise<void> {
    if (message.reply === undefined) throw new Error(`message on ${message.subject} expects no reply`);
    this.connection.publish(message.reply, encodePayload(data));
  }

  /** Ends this bus's subscriptions; the connection belongs to the transport, which closes it. */
  async close(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions.clear();
  }

  private deliver(handler: MessageHandler, msg: Msg): void {
    const message: Message = { subject: msg.subject, data: decodePayload(msg.string()), reply: msg.reply || undefined, headers: fromNatsHeaders(msg.headers) };
    Promise.resolve()
      .then(() => handler(message))
      .catch((error: unknown) => this.onHandlerError(error, msg.subject));
  }
}
