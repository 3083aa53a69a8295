/**
 * Streams that keep what core NATS would forget: every execution event
 * (`pyexec.events.<id>`), the latest approval request of each execution
 * (`pyexec.approvals.<id>`) and every audit record (`pyexec.audit.<id>`).
 * Events and approval requests are published on the bus as usual and
 * JetStream stores them as they pass, so a watcher or an approver who
 * connects later can replay them with any JetStream client; audit records
 * are published with an acknowledgement (audit-log.ts). Records in the audit
 * stream cannot be deleted or purged through the API.
 */
import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { eventStreams, subjects } from '../../protocol/subjects.ts';

export interface EventStreamOptions {
  replicas: number;
  /** How long events, approval requests and audit records are kept. */
  maxAgeMs: number;
}

export async function ensureEventStreams(jsm: JetStreamManager, options: EventStreamOptions): Promise<void> {
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: options.replicas,
    max_age: nanos(options.maxAgeMs),
  };
  await ensureStream(jsm, { ...common, name: eventStreams.events, subjects: [subjects.allEvents] });
  // Only the approval pending now matters: one message per execution.
  // allow_direct: an approver reads the pending one with a direct get (any replica answers).
  await ensureStream(jsm, { ...common, name: eventStreams.approvals, subjects: [subjects.allApprovalRequests], max_msgs_per_subject: 1, allow_direct: true });
  await ensureStream(jsm, { ...common, name: eventStreams.audit, subjects: [subjects.allAudit], deny_delete: true, deny_purge: true });
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    await jsm.streams.add(config);
  }
}
