/**
 * A transport wrapped so that what crosses it is measured and traced: state
 * events published here feed the execution metrics and state spans; messages
 * and jobs about an execution carry its trace context in headers; commands
 * (generate, analyze) and execution jobs run under a span continuing the
 * sender's trace; redeliveries, compare-and-set conflicts and store outages
 * are counted. The actors see the same interfaces and know nothing of it.
 *
 * Only commands get a span, decided once when their handler subscribes: the
 * many other messages of an execution (its events, results, replies) reach
 * their handlers unwrapped, so tracing costs a few spans per execution, not
 * one per message and subscriber.
 */
import type { Bus, Message, MessageHandler, PublishOptions, RequestOptions, SubscribeOptions } from '../bus/bus.ts';
import { CasConflictError, StoreUnavailableError, type KvStore } from '../bus/kv-store.ts';
import { subjects } from '../protocol/subjects.ts';
import type { Transport } from '../bus/transport.ts';
import type { Job, JobHandler, WorkQueue } from '../bus/work-queue.ts';
import { observedEventSchema, type ExecutionMetrics } from './execution-metrics.ts';
import type { PyexecMetrics } from './metrics.ts';
import type { Tracing } from './tracing.ts';

export interface TransportInstruments {
  metrics: PyexecMetrics;
  tracing: Tracing | null;
  /** Present where a supervisor runs: state events published here are its own. */
  executions: ExecutionMetrics | null;
}

export function instrumentTransport(transport: Transport, instruments: TransportInstruments): Transport {
  return {
    bus: instrumentBus(transport.bus, instruments),
    kv: instrumentKv(transport.kv, instruments.metrics),
    queues: instrumentQueues(transport.queues, instruments),
    auditLog: transport.auditLog,
    onReconnect: transport.onReconnect?.bind(transport),
    ping: transport.ping?.bind(transport),
    close: () => transport.close(),
  };
}

/** The execution a payload is about, when it names one. */
function executionIdOf(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || !('execution_id' in data)) return null;
  const id = (data as { execution_id: unknown }).execution_id;
  return typeof id === 'string' ? id : null;
}

/** Tokens that name a kind of message; what follows them (an execution id) is dropped. */
const familyLength: Readonly<Record<string, number>> = { jobs: 4, cmd: 3 };

/** Subjects as bounded labels: `pyexec.jobs.execute.<mode>`, `pyexec.cmd.<command>`, else `pyexec.<kind>`. */
export function subjectFamily(subject: string): string {
  const first = subject.indexOf('.');
  const second = first < 0 ? -1 : subject.indexOf('.', first + 1);
  const kind = first < 0 ? '' : subject.slice(first + 1, second < 0 ? undefined : second);
  // Called for every message handled: the end of the family found without splitting the subject.
  let end = -1;
  for (let dots = familyLength[kind] ?? 2; dots > 0; dots--) {
    end = subject.indexOf('.', end + 1);
    if (end < 0) return subject;
  }
  return subject.slice(0, end);
}

/** Commands answered over request/reply; execution jobs are the other commands (their queues start with `executeJobPrefix`). */
const commandSubjects: ReadonlySet<string> = new Set([subjects.generate, subjects.analyze]);
const executeJobPrefix = subjects.executeJobs('');
const eventsPrefix = subjects.events('');

function withTraceHeaders<T extends PublishOptions>(tracing: Tracing | null, data: unknown, options: T): T {
  const executionId = tracing ? executionIdOf(data) : null;
  const trace = executionId ? tracing?.headersFor(executionId) : undefined;
  if (!trace) return options;
  return { ...options, headers: options.headers ? { ...options.headers, ...trace } : trace };
}

/** The event kinds the execution metrics and state spans read; the others (progress, logs) are not parsed. */
const observedKinds: ReadonlySet<unknown> = new Set(['state', 'decision_refused']);

function instrumentBus(bus: Bus, { tracing, executions }: TransportInstruments): Bus {
  const observe = (subject: string, data: unknown) => {
    if (!subject.startsWith(eventsPrefix) || !observedKinds.has((data as { kind?: unknown } | null)?.kind)) return;
    const event = observedEventSchema.safeParse(data);
    if (!event.success) return;
    executions?.observe(event.data, Date.now());
    if (event.data.kind === 'state') tracing?.onState(event.data.execution_id, event.data.state, event.data.attempt);
  };
  const traced = (subject: string, handler: MessageHandler): MessageHandler => {
    if (!tracing || !commandSubjects.has(subject)) return handler;
    const name = `handle ${subjectFamily(subject)}`;
    return (message: Message) => tracing.handle(name, executionIdOf(message.data), message.headers, async () => handler(message));
  };
  return {
    publish: (subject, data, options: PublishOptions = {}) => {
      observe(subject, data);
      return bus.publish(subject, data, withTraceHeaders(tracing, data, options));
    },
    request: (subject, data, options: RequestOptions) => bus.request(subject, data, withTraceHeaders(tracing, data, options)),
    subscribe: (subject, handler, options?: SubscribeOptions) => bus.subscribe(subject, traced(subject, handler), options),
    respond: (message, data) => bus.respond(message, data),
    close: () => bus.close(),
  };
}

function instrumentQueues(queues: WorkQueue, { metrics, tracing }: TransportInstruments): WorkQueue {
  const measured = (subject: string, handler: JobHandler): JobHandler => {
    const name = `job ${subjectFamily(subject)}`;
    const tracer = subject.startsWith(executeJobPrefix) ? tracing : null;
    return async (job: Job) => {
      if (job.deliveryCount > 1) metrics.redeliveries.inc({ queue: subjectFamily(job.subject) });
      if (!tracer) return handler(job);
      return tracer.handle(name, executionIdOf(job.payload), job.headers, () => handler(job));
    };
  };
  return {
    declare: (subject, options) => queues.declare(subject, options),
    enqueue: (subject, jobId, payload, options = {}) => queues.enqueue(subject, jobId, payload, withTraceHeaders(tracing, payload, options)),
    consume: (subject, handler, options) => queues.consume(subject, measured(subject, handler), options),
    close: () => queues.close(),
  };
}

/** The kinds of key pyexec writes (protocol/kv-keys.ts kvKeys); any other key is `other`, so the label stays bounded. */
const keyKinds = new Set(['exec', 'claim', 'result', 'supervisors']);

export function keyKind(key: string): string {
  const kind = key.split('.')[0] ?? '';
  return keyKinds.has(kind) ? kind : 'other';
}

function instrumentKv(kv: KvStore, metrics: PyexecMetrics): KvStore {
  // The caller awaits the store's own promise; the failure is only looked at on the side, so a
  // store operation costs no extra await.
  const counted = <T>(operation: string, key: string, call: () => Promise<T>): Promise<T> => {
    const pending = call();
    pending.catch((error: unknown) => {
      if (error instanceof CasConflictError) metrics.casConflicts.inc({ key_kind: keyKind(key) });
      else if (error instanceof StoreUnavailableError) metrics.storeUnavailable.inc({ operation });
    });
    return pending;
  };
  return {
    get: (key) => counted('get', key, () => kv.get(key)),
    create: (key, value) => counted('create', key, () => kv.create(key, value)),
    update: (key, value, revision) => counted('update', key, () => kv.update(key, value, revision)),
    delete: (key) => counted('delete', key, () => kv.delete(key)),
    keys: (prefix) => counted('keys', prefix ?? '', () => kv.keys(prefix)),
    watch: (prefix, onChange) => kv.watch(prefix, onChange),
    close: () => kv.close(),
  };
}
