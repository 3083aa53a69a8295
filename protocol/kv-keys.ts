/**
 * The keys of the KV store: execution records, job claims and results,
 * supervisors' heartbeats. Defined once, like the subjects.
 */
export const kvKeys = {
  execution: (executionId: string) => `exec.${executionId}`,
  executionPrefix: 'exec.',
  jobClaim: (commandId: string) => `claim.${safeKey(commandId)}`,
  jobResult: (commandId: string) => `result.${safeKey(commandId)}`,
  /** A supervisor's heartbeat: peers scan for orphaned executions only once it has expired. */
  supervisor: (supervisorId: string) => `supervisors.${safeKey(supervisorId)}`,
  supervisorPrefix: 'supervisors.',
} as const;

/** KV keys accept [-/_=.a-zA-Z0-9] (NATS KV's alphabet); command ids contain ':'. */
export function safeKey(raw: string): string {
  return raw.replace(/[^-/_=.a-zA-Z0-9]/g, '_');
}
