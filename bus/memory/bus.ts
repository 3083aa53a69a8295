/**
 * The in-process bus (embedded default): an rxjs stream of messages, with
 * NATS semantics — wildcard subjects, queue groups (one member each),
 * request/reply with timeout and "no responders".
 */
import { randomUUID } from 'node:crypto';
import { Subject, asapScheduler, filter, observeOn } from 'rxjs';
import type { Bus, Message, MessageHandler, RequestOptions, SubscribeOptions, Subscription } from '../bus.ts';
import { BusTimeoutError, NoRespondersError } from '../bus.ts';
import { fromWire, toWire } from '../json-wire.ts';
import { subjectMatches } from '../subject-match.ts';

interface Delivery {
  subject: string;
  wire: string;
  reply?: string;
  /** Subscription ids chosen for this message in each queue group. */
  chosen: ReadonlySet<number>;
}

interface Registration {
  id: number;
  pattern: string;
  queue?: string;
}

export class MemoryBus implements Bus {
  private readonly stream = new Subject<Delivery>();
  private readonly registrations = new Map<number, Registration>();
  private readonly roundRobin = new Map<string, number>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly onHandlerError: (error: unknown, subject: string) => void = () => {}) {}

  async publish(subject: string, data: unknown): Promise<void> {
    this.send(subject, toWire(data));
  }

  subscribe(pattern: string, handler: MessageHandler, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    const id = this.nextId++;
    this.registrations.set(id, { id, pattern, queue: options.queue });
    const subscription = this.stream
      .pipe(
        filter((delivery) => subjectMatches(pattern, delivery.subject)),
        filter((delivery) => options.queue === undefined || delivery.chosen.has(id)),
        observeOn(asapScheduler),
      )
      .subscribe((delivery) => this.deliver(handler, delivery));
    return {
      unsubscribe: async () => {
        this.registrations.delete(id);
        subscription.unsubscribe();
      },
    };
  }

  async request(subject: string, data: unknown, options: RequestOptions): Promise<unknown> {
    if (!this.hasSubscriber(subject)) throw new NoRespondersError(subject);
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
      this.send(subject, toWire(data), inbox);
    });
  }

  async respond(message: Message, data: unknown): Promise<void> {
    if (message.reply === undefined) throw new Error(`message on ${message.subject} expects no reply`);
    await this.publish(message.reply, data);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.registrations.clear();
    this.stream.complete();
  }

  private send(subject: string, wire: string, reply?: string): void {
    this.assertOpen();
    this.stream.next({ subject, wire, reply, chosen: this.chooseQueueMembers(subject) });
  }

  private deliver(handler: MessageHandler, delivery: Delivery): void {
    const message: Message = { subject: delivery.subject, data: fromWire(delivery.wire), reply: delivery.reply };
    Promise.resolve()
      .then(() => handler(message))
      .catch((error: unknown) => this.onHandlerError(error, delivery.subject));
  }

  private chooseQueueMembers(subject: string): Set<number> {
    const groups = new Map<string, number[]>();
    for (const registration of this.registrations.values()) {
      if (registration.queue === undefined || !subjectMatches(registration.pattern, subject)) continue;
      const members = groups.get(registration.queue) ?? [];
      members.push(registration.id);
      groups.set(registration.queue, members);
    }
    const chosen = new Set<number>();
    for (const [queue, members] of groups) {
      const turn = this.roundRobin.get(queue) ?? 0;
      this.roundRobin.set(queue, turn + 1);
      chosen.add(members[turn % members.length] as number);
    }
    return chosen;
  }

  private hasSubscriber(subject: string): boolean {
    for (const registration of this.registrations.values()) {
      if (subjectMatches(registration.pattern, subject)) return true;
    }
    return false;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('bus is closed');
  }
}
