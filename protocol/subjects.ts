/**
 * Every subject of the public protocol, defined once. A client in any language
 * submits, watches and approves with these names and the schemas in
 * public.ts; nothing else in the code spells a subject by hand.
 */
export const subjects = {
  /** Execution requests (durable work queue, consumed by supervisors). */
  requests: 'pyexec.requests',
  /** Approval decisions (durable work queue, consumed by supervisors). */
  decisions: 'pyexec.decisions',
  /** Cancellation requests (durable work queue, consumed by supervisors). */
  cancels: 'pyexec.cancels',
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

/** Queue groups: one member of a group receives each message. */
export const queueGroups = {
  supervisors: 'pyexec-supervisors',
  generators: 'pyexec-generators',
  analyzers: 'pyexec-analyzers',
} as const;
