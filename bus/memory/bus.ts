/**
 * The in-process bus (embedded default), with NATS semantics — wildcard
 * subjects, queue groups (one member each), request/reply with timeout and
 * "no responders". Subscriptions to exact subjects (an execution's events,
 * a reply inbox) are found by lookup, so a message costs the same however
 * many executions are being watched; only wildcard ones are matched one by one.
 */
import { randomUUID } from 'node:crypto';
import type { Bus, Message, MessageHandler, MessageHeaders, PublishOptions, RequestOptions, SubscribeOptions, Subscription } from '../bus.ts';
import { BusTimeoutError, NoRespondersError } from '../bus.ts';
import { fromWire, toWire } from '../json-wire.ts';
import { subjectMatches } from '../subject-match.ts';

interface Delivery {
  subject: string;
  /** Encoded once per message; each receiver decodes its own copy. */
  wire: string;
  reply?: string;
  headers?: MessageHeaders;
}

interface Registration {
  id: number;
  pattern: string;
  queue?: string;
  handler: MessageHandler;
  /** False once unsubscribed: messages still on their way to it are dropped. */
  active: boolean;
}

export class MemoryBus implements Bus {
  private readonly exact = new Map<string, Set<Registration>>();
  private readonly wildcards = new Set<Registration>();
  private readonly roundRobin = new Map<string, number>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly onHandlerError: (error: unknown, subject: string) => void = () => {}) {}

  async publish(subject: string, data: unknown, options: PublishOptions = {}): Promise<void> {
    this.send(subject, toWire(data), undefined, options.headers);
  }

  subscribe(pattern: string, handler: MessageHandler, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    const registration: Registration = { id: this.nextId++, pattern, queue: options.queue, handler, active: true };
    this.register(registration);
    return {
      unsubscribe: async () => {
        registration.active = false;
        this.unregister(registration);
      },
    };
  }

  async request(subject: string, data: unknown, options: RequestOptions): Promise<unknown> {
    if (this.receiversOf(subject).length === 0) throw new NoRespondersError(subject);
    const inbox = `_INBOX.${randomUUID()}`;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        void reply.unsubscribe();
        reject(new BusTimeoutError(subject, options.timeoutMs));
      }, options.timeoutMs);
      const reply = this.subscribe(inbox, (message) => {
        clearTimeout(timer);
        void reply.unsubscribe();
        resolve(message.data);
      });
      this.send(subject, toWire(data), inbox, options.headers);
    });
  }

  async respond(message: Message, data: unknown): Promise<void> {
    if (message.reply === undefined) throw new Error(`message on ${message.subject} expects no reply`);
    await this.publish(message.reply, data);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.exact.clear();
    this.wildcards.clear();
  }

  private register(registration: Registration): void {
    if (isWildcard(registration.pattern)) {
      this.wildcards.add(registration);
      return;
    }
    const set = this.exact.get(registration.pattern) ?? new Set<Registration>();
    set.add(registration);
    this.exact.set(registration.pattern, set);
  }

  private unregister(registration: Registration): void {
    this.wildcards.delete(registration);
    const set = this.exact.get(registration.pattern);
    if (!set?.delete(registration) || set.size > 0) return;
    this.exact.delete(registration.pattern);
  }

  /** Every subscription matching `subject`, in the order they were made. */
  private receiversOf(subject: string): Registration[] {
    const receivers = [...(this.exact.get(subject) ?? [])];
    const exactCount = receivers.length;
    for (const registration of this.wildcards) {
      if (subjectMatches(registration.pattern, subject)) receivers.push(registration);
    }
    return exactCount > 0 && receivers.length > exactCount ? receivers.sort((a, b) => a.id - b.id) : receivers;
  }

  /** Delivered asynchronously, as over a network: the publisher never runs a handler itself. */
  private send(subject: string, wire: string, reply?: string, headers?: MessageHeaders): void {
    this.assertOpen();
    const delivery: Delivery = { subject, wire, reply, headers };
    const receivers = this.receiversOf(subject);
    const chosen = this.chooseQueueMembers(receivers);
    for (const registration of receivers) {
      if (registration.queue !== undefined && !chosen.has(registration)) continue;
      queueMicrotask(() => {
        if (registration.active) this.deliver(registration.handler, delivery);
      });
    }
  }

  private deliver(handler: MessageHandler, delivery: Delivery): void {
    const message: Message = { subject: delivery.subject, data: fromWire(delivery.wire), reply: delivery.reply, headers: delivery.headers };
    Promise.resolve()
      .then(() => handler(message))
      .catch((error: unknown) => this.onHandlerError(error, delivery.subject));
  }

  /** One member of each queue group among the receivers, in turn. */
  private chooseQueueMembers(receivers: readonly Registration[]): Set<Registration> {
    const groups = new Map<string, Registration[]>();
    for (const registration of receivers) {
      if (registration.queue === undefined) continue;
      const members = groups.get(registration.queue) ?? [];
      members.push(registration);
      groups.set(registration.queue, members);
    }
    const chosen = new Set<Registration>();
    for (const [queue, members] of groups) {
      const turn = this.roundRobin.get(queue) ?? 0;
      this.roundRobin.set(queue, turn + 1);
      chosen.add(members[turn % members.length] as Registration);
    }
    return chosen;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('bus is closed');
  }
}

function isWildcard(pattern: string): boolean {
  return pattern.split('.').some((token) => token === '*' || token === '>');
}
