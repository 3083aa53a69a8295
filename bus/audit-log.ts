/**
 * Where a transport keeps audit records apart from the execution folder: on
 * NATS the pyexec_audit stream (nats/audit-log.ts), so the trail survives
 * the loss of the folder and can be read and checked from any host. The
 * embedded default has none: audit.jsonl is its store.
 */
import type { AuditMessage } from '../protocol/audit.ts';

export interface AuditLog {
  /**
   * Stores records of one execution, in order; resolves once they are kept.
   * StoreUnavailableError when the log is away for a moment: appending the
   * same records again is then safe.
   */
  append(executionId: string, records: AuditMessage[]): Promise<void>;
  /**
   * Every message kept for the execution, in the order stored, not yet
   * validated (anyone allowed to publish may have put anything there); null
   * when this server keeps no audit records.
   */
  read(executionId: string): Promise<unknown[] | null>;
}
