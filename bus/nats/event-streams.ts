/**
 * Streams that keep what core NATS would forget: every execution event
 * (`pyexec.events.<id>`) and the latest approval request of each execution
 * (`pyexec.approvals.<id>`). The bus publishes on these subjects as usual;
 * JetStream stores the messages as they pass, so a watcher or an approver
 * who connects later can replay them with any JetStream client.
 */
import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { subjects } from '../subjects.ts';

export const eventStreamNames = { events: 'pyexec_events', approvals: 'pyexec_approvals' } as const;

export interface EventStreamOptions {
  replicas: number;
  /** How long events and approval requests are kept. */
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
  await ensureStream(jsm, { ...common, name: eventStreamNames.events, subjects: [subjects.allEvents] });
  // Only the approval pending now matters: one message per execution.
  await ensureStream(jsm, { ...common, name: eventStreamNames.approvals, subjects: [subjects.allApprovalRequests], max_msgs_per_subject: 1 });
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    await jsm.streams.add(config);
  }
}
