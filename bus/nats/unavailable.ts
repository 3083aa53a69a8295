/**
 * Which NATS errors mean "the store is away for a moment" (a timeout, a lost
 * connection, no JetStream leader right now: 503) rather than a refusal:
 * KV operations and audit log appends report those as StoreUnavailableError,
 * which callers may retry (../store-retry.ts), and an enqueue retries them itself.
 */
import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { causedBy } from './payload.ts';

export function isUnavailable(error: unknown): boolean {
  if (causedBy(error, errors.PermissionViolationError)) return false;
  if (error instanceof JetStreamApiError) return error.status === 503;
  return causedBy(error, errors.TimeoutError) || causedBy(error, errors.NoRespondersError) || causedBy(error, errors.ConnectionError);
}
