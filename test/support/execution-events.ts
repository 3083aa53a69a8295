/** Waiting on an execution's live events. */
import { filter, firstValueFrom } from 'rxjs';
import type { ExecutionHandle } from '../../client/client.ts';
import type { ExecutionEvent, StateName } from '../../protocol/public.ts';

/** The event that the execution entered `state`; rejects if its events end first. */
export function untilState(handle: Pick<ExecutionHandle, 'events'>, state: StateName): Promise<ExecutionEvent> {
  return firstValueFrom(handle.events.pipe(filter((event) => event.kind === 'state' && event.state === state)));
}
