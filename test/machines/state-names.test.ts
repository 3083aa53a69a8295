/**
 * The state names on the wire (protocol/public.ts `stateNameSchema`, in state
 * events and the KV record) are the statechart's own states: the protocol
 * spells them once, the machine must have exactly those, checked by the
 * compiler.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import { executionMachine } from '../../machines/execution-machine.ts';
import { stateNameSchema, type StateName } from '../../protocol/public.ts';

describe('state names', () => {
  it('are the statechart’s top-level states, no more and no fewer', () => {
    expectTypeOf<SnapshotFrom<typeof executionMachine>['value']>().toEqualTypeOf<StateName>();
    expect(Object.keys(executionMachine.config.states ?? {}).sort()).toEqual([...stateNameSchema.options].sort());
  });
});
