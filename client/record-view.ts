/**
 * The view a client reads from an execution's KV record. The store outlives
 * upgrades: a record written before supervisors wrote the view gets the same
 * view derived from its snapshot, by the function the supervisor uses. This
 * is the one place a client looks into a snapshot.
 */
import type { ExecutionContext } from '../machines/execution-types.ts';
import { executionViewOf } from '../machines/execution-view.ts';
import type { ExecutionView } from '../protocol/execution-view.ts';
import type { ExecutionRecord } from '../protocol/record.ts';

export function viewOfRecord(record: ExecutionRecord): ExecutionView {
  if (record.view) return record.view;
  const { context } = record.snapshot as { context: ExecutionContext };
  return executionViewOf(record.state, context);
}
