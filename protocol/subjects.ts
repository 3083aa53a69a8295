/**
 * Every subject of the public protocol, defined once. A client in any language
 * submits, watches and approves with these names and the schemas in
 * public.ts; nothing else in the code spells a subject, a queue group or a
 * durable consumer's name by hand.
 */
import { executionIdSchema } from './fields.ts';
export const subjects = {
  /** Execution requests (durable work queue, consumed by supervisors). */
  requests: 'pyexec.requests',
  /** Approval decisions: one durable work queue, consumed by supervisors; each decision on its execution's subject. */
  decisionQueue: 'pyexec.decisions',
  decisions: (executionId: string) => `pyexec.decisions.${executionId}`,
  /** Cancellation requests: one durable work queue, consumed by supervisors; each cancel on its execution's subject. */
  cancelQueue: 'pyexec.cancels',
  cancels: (executionId: string) => `pyexec.cancels.${executionId}`,
  /** Commands to generator actors (request/reply, queue group). */
  generate: 'pyexec.cmd.generate',
  /** Commands to analyzer actors (request/reply, queue group). */
  analyze: 'pyexec.cmd.analyze',
  /** Execution jobs, one work queue per execution mode. */
  executeJobs: (mode: string) => `pyexec.jobs.execute.${mode}`,
  /** Supervisor → executors: stop the job of this execution (a cancel while it is queued or running). */
  jobCancel: (executionId: string) => `pyexec.jobs.cancel.${executionId}`,
  allJobCancels: 'pyexec.jobs.cancel.>',
  /** Results of execution jobs, for the supervisor that owns the execution. */
  executeResult: (executionId: string) => `pyexec.results.${executionId}`,
  executeResults: 'pyexec.results.>',
  /** State events of one execution (one per transition), and of all of them. */
  events: (executionId: string) => `pyexec.events.${executionId}`,
  allEvents: 'pyexec.events.>',
  /** Approval requests, published when an execution starts waiting for a human. */
  approvalRequests: (executionId: string) => `pyexec.approvals.${executionId}`,
  allApprovalRequests: 'pyexec.approvals.>',
  /** Audit records of one execution (hash-chained, kept in the pyexec_audit stream), and of all of them. */
  audit: (executionId: string) => `pyexec.audit.${executionId}`,
  allAudit: 'pyexec.audit.>',
  /** Errors about messages that could not be accepted (invalid, refused). */
  errors: 'pyexec.errors',
} as const;

/** The subjects that end in an execution id, as their prefixes. */
const perExecutionPrefixes = [
  subjects.decisions(''),
  subjects.cancels(''),
  subjects.executeResult(''),
  subjects.events(''),
  subjects.approvalRequests(''),
  subjects.audit(''),
  subjects.jobCancel(''),
];

/** The execution a per-execution subject names (pyexec.decisions.<id>, pyexec.results.<id>, ...), or undefined. */
export function executionIdOfSubject(subject: string): string | undefined {
  const prefix = perExecutionPrefixes.find((candidate) => subject.startsWith(candidate));
  const named = prefix === undefined ? undefined : executionIdSchema.safeParse(subject.slice(prefix.length));
  return named?.success ? named.data : undefined;
}

/**
 * On NATS, the JetStream streams that keep what core NATS would forget, for
 * replay: every event, the pending approval request of each execution, every
 * audit record. A client in any language reads them by these names.
 */
export const eventStreams = { events: 'pyexec_events', approvals: 'pyexec_approvals', audit: 'pyexec_audit' } as const;

/** Queue groups: one member of a group receives each message. */
export const queueGroups = {
  supervisors: 'pyexec-supervisors',
  generators: 'pyexec-generators',
  analyzers: 'pyexec-analyzers',
} as const;

/**
 * Durable consumers of the work queues: every member of a role shares its
 * name, so each message goes to one of them and waits for them across restarts.
 */
export const durableConsumers = {
  requests: 'pyexec-supervisors-requests',
  decisions: 'pyexec-supervisors-decisions',
  cancels: 'pyexec-supervisors-cancels',
  executors: (mode: string) => `pyexec-executors-${mode}`,
} as const;
