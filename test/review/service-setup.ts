/** A service for review tests: Debian's Python, a fake epics module, writes enabled, signed decisions optional. */
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { createUser } from '@nats-io/nkeys';
import { parseConfig } from '../../config/load.ts';
import type { ConfigInput } from '../../config/schema.ts';
import type { ExecutionHandle } from '../../actors/client.ts';
import type { ExecutionEvent, StateName } from '../../protocol/public.ts';
import { approverKey, type ApproverKey } from '../../adapters/signing/decision-keys.ts';
import { installFakeEpics, type FakeEpics } from '../support/fake-epics.ts';

export interface ReviewSetup {
  configInput: ConfigInput;
  epics: FakeEpics;
}

export function reviewConfig(folder: string, overrides: { approval?: ConfigInput['approval']; ui?: ConfigInput['ui'] } = {}): ReviewSetup {
  const epics = installFakeEpics(folder);
  const configInput: ConfigInput = {
    execution: {
      local: { python_env_path: '/usr/bin/python3' },
      modes: {
        read_only: { kernel_name: 'python3', allows_writes: false, environment: epics.environment },
        write_access: { kernel_name: 'python3', allows_writes: true, requires_approval: true, environment: epics.environment },
      },
    },
    control_system: { writes_enabled: true },
    service: { executions_root: join(folder, 'executions') },
    approval: overrides.approval,
    ui: overrides.ui,
  };
  return { configInput, epics };
}

export const configOf = (setup: ReviewSetup) => parseConfig(setup.configInput, 'test');

/** A fresh in-memory approver key (no file). */
export function newKey(): ApproverKey {
  return approverKey(createUser());
}

export function untilState(handle: ExecutionHandle, state: StateName): Promise<ExecutionEvent> {
  return firstValueFrom(handle.events.pipe(filter((event) => event.kind === 'state' && event.state === state)));
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
