/**
 * The audit trail on the wire (pyexec.audit.<id>) and in audit.jsonl: record
 * 0, the folder's creation, then records chained by hash. Each kind of entry
 * is one strict member of `auditEntrySchema`, discriminated by `event`: a
 * writer cannot misspell an event, forget a field or add one the schema does
 * not know, and docs/protocol.md lists the same kinds.
 */
import { z } from 'zod';
import { channelWriteSchema } from './channel-limits.ts';
import { contextFromSchema, outcomeSchema, stateNameSchema, verdictSchema } from './public.ts';
import { executionStatusSchema } from './internal.ts';
import { isoTimeSchema, nonEmptySchema, sha256HexSchema } from './fields.ts';

const attempt = z.number().int().nonnegative();

/** A request accepted: who asked for what, and the earlier executions it takes as context. */
const requestEntrySchema = z.object({
  event: z.literal('request'),
  execution_id: z.string(),
  requester: z.string(),
  task_objective: z.string(),
  /** Whether the caller supplied the code (generation skipped). */
  approved_code: z.boolean(),
  context_from: z
    .array(contextFromSchema.extend({ code_sha256: z.string().nullable(), folder: z.string(), bytes: z.number().int().nonnegative() }))
    .optional(),
}).strict();

/** What every decision entry names: the approval, who decided, why and when. */
const decisionFields = { approval_id: z.string(), approver: z.string(), reason: z.string(), decided_at: z.string() };

/** A decision as it arrived, before it is judged: who, what, for which code, signed by which key. */
const decisionReceivedEntrySchema = z
  .object({
    event: z.literal('decision_received'),
    ...decisionFields,
    verdict: verdictSchema,
    code_sha256: z.string(),
    signed_by: z.string().nullable(),
    signature: z.string().nullable(),
  })
  .strict();

/** A decision the statechart counted. */
const decisionCountedEntrySchema = z
  .object({ event: z.literal('decision_counted'), ...decisionFields, verdict: verdictSchema, code_sha256: z.string().nullable() })
  .strict();

/** A decision refused (stale approval id, wrong code hash, bad signature, ...), and why. */
const decisionRefusedEntrySchema = z.object({ event: z.literal('decision_refused'), ...decisionFields }).strict();

const cancelReceivedEntrySchema = z.object({ event: z.literal('cancel_received'), by: z.string(), reason: z.string() }).strict();

/** One statechart transition. */
const transitionEntrySchema = z.object({
  event: z.literal('transition'),
  /** null for the execution's first state. */
  from: stateNameSchema.nullable(),
  to: stateNameSchema,
  attempt,
  outcome: outcomeSchema.nullable(),
  detail: z.string().optional(),
}).strict();

/** An execution job sent to the kernels: the code's hash, its mode, and the approval it runs under. */
const executionStartEntrySchema = z.object({
  event: z.literal('execution_start'),
  attempt,
  mode: z.string().optional(),
  code_sha256: z.string().nullable().optional(),
  approval_id: z.string().optional(),
  approver: z.string().optional(),
  /** The channel limits file's version the analysis checked against. */
  limits_version: z.string().nullable().optional(),
}).strict();

/** What every entry about a job's result names: the job, how it ended, who ran it. */
const jobResultFields = { command_id: z.string(), status: executionStatusSchema, executor: z.string() };

/** An execution job's result. */
const executionEndEntrySchema = z.object({
  event: z.literal('execution_end'),
  ...jobResultFields,
  duration_ms: z.number().nonnegative(),
  /** The error's type, when the code failed. */
  error: z.string().optional(),
  limits_version: z.string().nullable().optional(),
}).strict();

/** One write call under channel limits: refused before the network, written (and verified), or failed. */
const channelWriteEntrySchema = channelWriteSchema.omit({ outcome: true, at: true }).extend({
  event: z.enum(['channel_write_refused', 'channel_write', 'channel_write_failed']),
  limits_version: z.string().nullable(),
  /** The kernel's clock; the record's own `at` is when it was audited. */
  happened_at: z.string(),
}).strict();

/** A result for an execution that had already ended (a redelivery, or a job that ran on after a cancel). */
const lateResultEntrySchema = z.object({
  event: z.literal('late_result'),
  ...jobResultFields,
  code_started: z.boolean().nullable(),
  outcome: outcomeSchema.nullable(),
}).strict();

/** The review page's security trail (review/security-audit.ts): sessions and lockouts. */
const loginEntrySchema = z.object({ event: z.enum(['login', 'logout']), user: z.string(), address: z.string() }).strict();
const loginLockoutEntrySchema = z.object({
  event: z.literal('login_lockout'),
  scope: z.string(),
  user: z.string(),
  address: z.string(),
  failures: z.number().int().nonnegative(),
  locked_for_ms: z.number().nonnegative(),
}).strict();
const sessionExpiredEntrySchema = z.object({ event: z.literal('session_expired'), user: z.string() }).strict();

/** What an execution's trail records, after record 0. */
export const executionAuditEntrySchema = z.discriminatedUnion('event', [
  requestEntrySchema,
  decisionReceivedEntrySchema,
  decisionCountedEntrySchema,
  decisionRefusedEntrySchema,
  cancelReceivedEntrySchema,
  transitionEntrySchema,
  executionStartEntrySchema,
  executionEndEntrySchema,
  channelWriteEntrySchema,
  lateResultEntrySchema,
]);
export type ExecutionAuditEntry = z.infer<typeof executionAuditEntrySchema>;

/** What the review page's security trail records, after record 0. */
export const securityAuditEntrySchema = z.discriminatedUnion('event', [loginEntrySchema, loginLockoutEntrySchema, sessionExpiredEntrySchema]);
export type SecurityAuditEntry = z.infer<typeof securityAuditEntrySchema>;

/** What a writer appends to a trail: an event and its fields (the chain adds `seq`, `at`, `prev` and `hash`). */
export const auditEntrySchema = z.discriminatedUnion('event', [...executionAuditEntrySchema.options, ...securityAuditEntrySchema.options]);
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/**
 * Record 0 of an execution's audit trail: the folder's creation, written by
 * the store without chain fields (its hash is that of its canonical JSON).
 */
export const auditGenesisSchema = z
  .object({ event: z.literal('folder_created'), execution_id: z.string(), at: z.string(), folder: z.string().optional() })
  .catchall(z.unknown());
export type AuditGenesis = z.infer<typeof auditGenesisSchema>;

/** Record 0 of a trail, as the store writes it when it creates the folder. */
export function genesisRecord(executionId: string, folder: string, at: string): AuditGenesis {
  return { event: 'folder_created', at, execution_id: executionId, folder };
}

/**
 * Every later audit record (pyexec.audit.<id>, audit.jsonl): its event and
 * fields, chained by `prev` (the hash of the record before) and `hash`
 * (sha256 of its canonical JSON without `hash`). Read back as an envelope
 * (any event, any fields): a trail is checked by its hashes, and one written
 * by an older release must still read and verify.
 */
export const auditRecordSchema = z
  .object({
    seq: z.number().int().positive(),
    at: isoTimeSchema,
    event: nonEmptySchema,
    prev: sha256HexSchema,
    hash: sha256HexSchema,
  })
  .catchall(z.unknown());
export type AuditRecord = z.infer<typeof auditRecordSchema>;

/** What pyexec.audit.<id> carries: record 0, then the chained records in order. */
export const auditMessageSchema = z.union([auditGenesisSchema, auditRecordSchema]);
export type AuditMessage = z.infer<typeof auditMessageSchema>;
