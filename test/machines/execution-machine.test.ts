import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { executionMachine } from '../../machines/execution-machine.ts';
import { pendingCommand } from '../../machines/commands.ts';
import type { StateName } from '../../protocol/public.ts';
import { analysis, decision, executeResult, executionInput } from '../support/fixtures.ts';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();
const code = 'results = {"x": 1}\n';

function start(request = {}) {
  const actor = createActor(executionMachine, { input: executionInput(request) });
  actor.start();
  const state = () => actor.getSnapshot().value as StateName;
  const command = () => pendingCommand(state(), actor.getSnapshot().context);
  const commandId = () => {
    const current = command();
    if (!('commandId' in current)) throw new Error(`state ${state()} has no command id`);
    return current.commandId;
  };
  return { actor, state, command, commandId, context: () => actor.getSnapshot().context };
}

describe('execution statechart', () => {
  it('runs generate → analyze → execute → done(succeeded) with idempotency ids', () => {
    const run = start();
    expect(run.state()).toBe('generating');
    expect(run.commandId()).toBe('exec-0001:generate:1');
    run.actor.send({ type: 'GENERATED', commandId: run.commandId(), code, at: at(1) });
    expect(run.state()).toBe('analyzing');
    expect(run.commandId()).toBe('exec-0001:analyze:2');
    run.actor.send({ type: 'ANALYZED', commandId: run.commandId(), analysis: analysis(code), at: at(2) });
    expect(run.state()).toBe('executing');
    run.actor.send({ type: 'EXECUTED', commandId: run.commandId(), result: executeResult(run.commandId()), at: at(3) });
    expect(run.state()).toBe('done');
    expect(run.context().outcome).toBe('succeeded');
  });

  it('ignores a result that answers an older command', () => {
    const run = start();
    run.actor.send({ type: 'GENERATED', commandId: 'exec-0001:generate:99', code, at: at(1) });
    expect(run.state()).toBe('generating');
  });

  it('skips generation for approved code, and still analyses it', () => {
    const run = start({ approved_code: code });
    expect(run.state()).toBe('analyzing');
    expect(run.context().codeSource).toBe('approved');
  });

  it('counts an approval only for the pending id and the analysed code, and records refusals', () => {
    const run = start({ approved_code: code });
    run.actor.send({
      type: 'ANALYZED',
      commandId: run.commandId(),
      analysis: analysis(code, { requires_approval: true, execution_mode: 'write_access' }),
      at: at(1),
    });
    expect(run.state()).toBe('awaitingApproval');
    const approvalId = run.context().approval?.approvalId ?? '';
    run.actor.send({ type: 'DECISION', decision: decision('stale-id', code), at: at(2) });
    run.actor.send({ type: 'DECISION', decision: decision(approvalId, 'other code'), at: at(2) });
    expect(run.state()).toBe('awaitingApproval');
    expect(run.context().refusedDecisions.map((r) => r.reason)).toEqual([
      expect.stringContaining('stale approval id'),
      expect.stringContaining('other code'),
    ]);
    run.actor.send({ type: 'DECISION', decision: decision(approvalId, code), at: at(3) });
    expect(run.state()).toBe('executing');
    expect(run.command()).toMatchObject({ type: 'execute', mode: 'write_access' });
    run.actor.send({ type: 'DECISION', decision: decision(approvalId, code), at: at(4) });
    expect(run.context().refusedDecisions.at(-1)?.reason).toContain('replay');
  });

  it('expires when the deadline passes, not before', () => {
    const run = start({ approved_code: code });
    run.actor.send({ type: 'ANALYZED', commandId: run.commandId(), analysis: analysis(code, { requires_approval: true }), at: at(0) });
    run.actor.send({ type: 'DEADLINE_PASSED', at: at(30) });
    expect(run.state()).toBe('awaitingApproval');
    run.actor.send({ type: 'DEADLINE_PASSED', at: at(61) });
    expect(run.state()).toBe('done');
    expect(run.context().outcome).toBe('expired');
  });

  it('goes back to the generator with the error chain after a runtime error, within budget', () => {
    const run = start();
    run.actor.send({ type: 'GENERATED', commandId: run.commandId(), code, at: at(1) });
    run.actor.send({ type: 'ANALYZED', commandId: run.commandId(), analysis: analysis(code), at: at(2) });
    const failed = executeResult(run.commandId(), {
      status: 'runtime_error',
      results: null,
      error: { type: 'KeyError', message: "'x'", traceback: 'Traceback...' },
    });
    run.actor.send({ type: 'EXECUTED', commandId: run.commandId(), result: failed, at: at(3) });
    expect(run.state()).toBe('retrying');
    run.actor.send({ type: 'RETRY_DUE', at: at(3) });
    expect(run.state()).toBe('retrying'); // one base backoff (10 ms) before asking the generator again
    run.actor.send({ type: 'RETRY_DUE', at: at(4) });
    expect(run.state()).toBe('generating');
    expect(run.context().errorChain).toMatchObject([{ stage: 'execution', type: 'KeyError', attempt: 1 }]);
    run.actor.send({ type: 'GENERATED', commandId: run.commandId(), code, at: at(4) });
    run.actor.send({ type: 'ANALYZED', commandId: run.commandId(), analysis: analysis(code), at: at(5) });
    run.actor.send({ type: 'EXECUTED', commandId: run.commandId(), result: { ...failed, command_id: run.commandId() }, at: at(6) });
    expect(run.state()).toBe('done');
    expect(run.context().outcome).toBe('failed');
    expect(run.context().errorChain).toHaveLength(2);
  });

  it('retries infrastructure errors with backoff without consuming the budgets', () => {
    const run = start();
    run.actor.send({ type: 'GENERATION_FAILED', commandId: run.commandId(), kind: 'infrastructure', errorType: 'APIConnectionError', message: 'down', at: at(1) });
    expect(run.state()).toBe('retrying');
    expect(run.context().retry?.at).toBe(new Date(Date.parse(at(1)) + 10).toISOString());
    run.actor.send({ type: 'RETRY_DUE', at: at(1) });
    expect(run.state()).toBe('retrying');
    run.actor.send({ type: 'RETRY_DUE', at: at(2) });
    expect(run.state()).toBe('generating');
    expect(run.context().generationFailures).toBe(0);
    expect(run.context().errorChain).toHaveLength(0);
  });

  it('ends a lost write job as unknown, never re-running it', () => {
    const run = start({ approved_code: code });
    run.actor.send({ type: 'ANALYZED', commandId: run.commandId(), analysis: analysis(code), at: at(1) });
    run.actor.send({ type: 'EXECUTED', commandId: run.commandId(), result: executeResult(run.commandId(), { status: 'lost', results: null }), at: at(2) });
    expect(run.context().outcome).toBe('unknown');
  });

  it('accepts CANCEL in every non-final state', () => {
    const run = start();
    run.actor.send({ type: 'CANCEL', reason: 'no longer needed', by: 'op', at: at(1) });
    expect(run.state()).toBe('done');
    expect(run.context().outcome).toBe('cancelled');
  });
});

describe('infrastructure retries', () => {
  it('are counted per stage: new code after a runtime error starts a fresh count', () => {
    const run = start();
    run.actor.send({ type: 'GENERATED', commandId: run.commandId(), code, at: at(1) });
    run.actor.send({ type: 'ANALYZED', commandId: run.commandId(), analysis: analysis(code), at: at(2) });
    run.actor.send({ type: 'EXECUTED', commandId: run.commandId(), result: executeResult(run.commandId(), { status: 'infrastructure', results: null }), at: at(3) });
    expect(run.context().infrastructureFailures).toBe(1);
    run.actor.send({ type: 'RETRY_DUE', at: at(4) });
    const failed = executeResult(run.commandId(), { status: 'runtime_error', results: null, error: { type: 'ValueError', message: 'bad' } });
    run.actor.send({ type: 'EXECUTED', commandId: run.commandId(), result: failed, at: at(5) });
    expect(run.state()).toBe('retrying');
    expect(run.context().infrastructureFailures).toBe(0);
    run.actor.send({ type: 'RETRY_DUE', at: at(6) });
    run.actor.send({ type: 'GENERATION_FAILED', commandId: run.commandId(), kind: 'infrastructure', errorType: 'APIConnectionError', message: 'down', at: at(7) });
    expect(run.state()).toBe('retrying');
  });
});
