/** Code and helpers the pipeline tests share. */
import type { ExecutionHandle } from '../../index.ts';

/** Writes a PV through the fake epics: runs in the write mode, after an approval. */
export const writeCode = 'import epics\nepics.caput("TEST:SETPOINT", 1.5)\nresults = {"written": 1.5}';

export function untilState(handle: ExecutionHandle, state: string): Promise<void> {
  return new Promise((resolve) => {
    const subscription = handle.events.subscribe((event) => {
      if (event.kind === 'state' && event.state === state) {
        queueMicrotask(() => subscription.unsubscribe());
        resolve();
      }
    });
  });
}
