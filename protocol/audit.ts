/**
 * The audit trail on the wire (pyexec.audit.<id>) and in audit.jsonl: record
 * 0, the folder's creation, then records chained by hash.
 */
import { z } from 'zod';
import { isoTimeSchema, nonEmptySchema, sha256HexSchema } from './fields.ts';

/**
 * Record 0 of an execution's audit trail: the folder's creation, written by
 * the store without chain fields (its hash is that of its canonical JSON).
 */
export const auditGenesisSchema = z
  .object({ event: z.literal('folder_created'), execution_id: z.string(), at: z.string() })
  .catchall(z.unknown());

/**
 * Every later audit record (pyexec.audit.<id>, audit.jsonl): its event and
 * fields, chained by `prev` (the hash of the record before) and `hash`
 * (sha256 of its canonical JSON without `hash`).
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
