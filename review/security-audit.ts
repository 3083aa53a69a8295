/**
 * The review page's own audit trail: login lockouts (and the logins and
 * logouts around them), hash-chained like an execution's trail, in
 * `<executions root>/review-page-security/audit.jsonl`, its head anchored in
 * the transport's KV store and, on NATS, kept in the audit stream under the
 * id `review-page-security` (`pyexec audit review-page-security --nats URL`
 * reads and checks it there).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditTrail } from '../adapters/audit/audit-trail.ts';
import { genesisRecord, type SecurityAuditEntry } from '../protocol/audit.ts';
import { auditFile } from '../adapters/store/layout.ts';
import type { Logger } from '../logging/logger.ts';

export const securityTrailId = 'review-page-security';

export interface SecurityAudit {
  readonly folder: string;
  record(entry: SecurityAuditEntry): Promise<void>;
}

export async function openSecurityAudit(trail: AuditTrail, executionsRoot: string, logger: Logger): Promise<SecurityAudit> {
  const folder = join(executionsRoot, securityTrailId);
  await mkdir(folder, { recursive: true });
  const genesis = genesisRecord(securityTrailId, securityTrailId, new Date().toISOString());
  // Record 0 once, by whichever page process comes first: later ones continue the chain.
  await writeFile(join(folder, auditFile), `${JSON.stringify(genesis)}\n`, { flag: 'wx' }).catch((error: unknown) => {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
  });
  return {
    folder,
    async record(entry) {
      // Also in the service log: a trail that cannot be written must not hide the event.
      logger.warn({ audit: securityTrailId, ...entry }, `review page: ${entry.event}`);
      await trail.append(folder, securityTrailId, entry).catch((error: unknown) => logger.error({ err: error }, 'review page: the security audit trail could not be written'));
    },
  };
}
