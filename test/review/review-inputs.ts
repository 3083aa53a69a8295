/** What the review tests decide with and submit: approver keys, refusals to wait for, the code. */
import { createUser } from '@nats-io/nkeys';
import type { ExecutionHandle } from '../../client/client.ts';
import type { ExecutionEvent } from '../../protocol/public.ts';
import { approverKey, type ApproverKey } from '../../adapters/signing/decision-keys.ts';

/** A fresh in-memory approver key (no file). */
export function newKey(): ApproverKey {
  return approverKey(createUser());
}

export function untilRefusal(handle: ExecutionHandle, count: number): Promise<Array<Extract<ExecutionEvent, { kind: 'decision_refused' }>>> {
  const seen: Array<Extract<ExecutionEvent, { kind: 'decision_refused' }>> = [];
  return new Promise((resolve, reject) => {
    const subscription = handle.events.subscribe({
      next: (event) => {
        if (event.kind !== 'decision_refused') return;
        seen.push(event);
        if (seen.length === count) {
          subscription.unsubscribe();
          resolve(seen);
        }
      },
      complete: () => (seen.length < count ? reject(new Error(`execution ended after ${seen.length} refusals, expected ${count}`)) : undefined),
    });
  });
}

/** Code that writes one PV and draws a figure (approved code: no generator involved). */
export const writeWithFigure = [
  'from epics import caput',
  'import matplotlib.pyplot as plt',
  '',
  'caput("SR:MAG:QF1:CURRENT_SP", 12.5)',
  'plt.plot([1, 2, 3], [2.0, 4.0, 3.0])',
  'plt.title("quadrupole scan")',
  'results = {"written": "SR:MAG:QF1:CURRENT_SP", "value": 12.5}',
  '',
].join('\n');

/** Code that reads one PV and writes two: one value a literal, one computed. */
export const readAndWrite = [
  'from epics import caget, caput',
  '',
  'current = caget("SR:BEAM:CURRENT")',
  'caput("SR:MAG:QF1:CURRENT_SP", 12.5)',
  'caput("SR:MAG:QF2:CURRENT_SP", current * 0.1)',
  'results = {"current": current}',
  '',
].join('\n');
