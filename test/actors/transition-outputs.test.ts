/**
 * What each transition of a real statechart run makes, without a bus or a
 * store: the audit records in order, the files to write, whether the
 * execution comes to rest before publishing, and the publications in order.
 * The runner carries these out; the durability tests check the order it does
 * so in.
 */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { executionMachine } from '../../machines/execution-machine.ts';
import { pendingCommand } from '../../machines/commands.ts';
import type { ExecutionEvent } from '../../machines/execution-types.ts';
import type { ChannelLimitsReport } from '../../protocol/channel-limits.ts';
import type { StateName } from '../../protocol/public.ts';
import type { Transition } from '../../adapters/recorder/recorder.ts';
import { transitionOutputs } from '../../actors/transition-outputs.ts';
import { analysis, decision, executeResult, executionInput } from '../support/fixtures.ts';

const code = 'caput("X:SET", 2)\n';
const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();
const written = { revision: 7, notebookPath: '/tmp/pyexec-test-folder/notebook.ipynb' };

/** Drives the statechart and returns each step's transition as the runner sees it. */
function execution(request = {}) {
  const actor = createActor(executionMachine, { input: executionInput(request) });
  actor.start();
  let previous: StateName | null = null;
  const transition = (refused = false): Transition => {
    const { value, context } = actor.getSnapshot();
    const step: Transition = { previous, state: value as StateName, context, refusal: refused ? (context.refusedDecisions.at(-1) ?? null) : null };
    previous = step.state;
    return step;
  };
  const commandId = () => {
    const command = pendingCommand(actor.getSnapshot().value as StateName, actor.getSnapshot().context);
    return 'commandId' in command ? command.commandId : '';
  };
  const send = (event: ExecutionEvent, refused = false) => {
    actor.send(event);
    return transition(refused);
  };
  return { transition, send, commandId, context: () => actor.getSnapshot().context };
}

/** An approved write execution up to `executing`. */
function approvedWrite() {
  const run = execution({ approved_code: code });
  run.transition();
  run.send({ type: 'ANALYZED', commandId: run.commandId(), analysis: analysis(code, { requires_approval: true, execution_mode: 'write_access' }), at: at(1) });
  const approvalId = run.context().approval?.approvalId ?? '';
  const executing = run.send({ type: 'DECISION', decision: decision(approvalId, code), at: at(2) });
  return { run, executing };
}

const events = (publications: ReturnType<ReturnType<typeof transitionOutputs>['publications']>) =>
  publications.map((publication) => ('event' in publication ? publication.event.kind : `error: ${publication.protocolError.error}`));

describe('transition outputs', () => {
  it('a generated attempt: its transition record, its notebook after the command, its state event', () => {
    const run = execution();
    run.transition();
    const analyzing = run.send({ type: 'GENERATED', commandId: run.commandId(), code: 'x = 1\n', at: at(1) });
    const outputs = transitionOutputs(analyzing);
    expect(outputs.audit).toEqual([{ event: 'transition', from: 'generating', to: 'analyzing', attempt: 1, outcome: null, detail: undefined }]);
    expect(outputs.atRest).toBe(false);
    expect(outputs.files).toEqual({ attemptNotebook: { attempt: 1, stage: 'generated' }, finalNotebook: false, results: false });
    expect(outputs.publications(written)).toEqual([
      { event: { kind: 'state', execution_id: 'exec-0001', seq: 7, state: 'analyzing', at: at(1), attempt: 1, detail: 'analysing attempt 1', summary: undefined } },
    ]);
  });

  it('waiting for approval comes to rest: the notebook is written before the event', () => {
    const run = execution({ approved_code: code });
    run.transition();
    const waiting = run.send({ type: 'ANALYZED', commandId: run.commandId(), analysis: analysis(code, { requires_approval: true, execution_mode: 'write_access' }), at: at(1) });
    const outputs = transitionOutputs(waiting);
    expect(outputs.atRest).toBe(true);
    expect(outputs.files?.attemptNotebook).toEqual({ attempt: 1, stage: 'awaiting_approval' });
    expect(outputs.audit.map((entry) => entry.event)).toEqual(['transition']);
    expect(events(outputs.publications(written))).toEqual(['state']);
  });

  it('a refused decision: audited, its own event and protocol error, no repeated state event, no files', () => {
    const run = execution({ approved_code: code });
    run.transition();
    run.send({ type: 'ANALYZED', commandId: run.commandId(), analysis: analysis(code, { requires_approval: true, execution_mode: 'write_access' }), at: at(1) });
    const refused = run.send({ type: 'DECISION', decision: decision('stale-id', code), at: at(2) }, true);
    const outputs = transitionOutputs(refused);
    expect(outputs.audit).toEqual([
      { event: 'decision_refused', approval_id: 'stale-id', approver: 'operator', reason: expect.stringContaining('stale approval id'), decided_at: at(2) },
    ]);
    expect(outputs.files).toBeNull();
    const publications = outputs.publications(written);
    expect(events(publications)).toEqual(['decision_refused', expect.stringContaining('error: decision refused: ')]);
    expect(publications[1]).toMatchObject({ protocolError: { subject: 'pyexec.decisions.exec-0001' } });
  });

  it('a counted approval: the decision, the transition and the execution start, in that order', () => {
    const { executing } = approvedWrite();
    const outputs = transitionOutputs(executing);
    expect(outputs.audit.map((entry) => entry.event)).toEqual(['decision_counted', 'transition', 'execution_start']);
    expect(outputs.audit[2]).toMatchObject({ mode: 'write_access', approver: 'operator', code_sha256: executing.context.codeSha256 });
    expect(outputs.atRest).toBe(false);
    expect(outputs.files).toBeNull();
  });

  it('a cancel while a write job may run: a progress event, not a repeated state event', () => {
    const { run } = approvedWrite();
    const cancelling = run.send({ type: 'CANCEL', reason: 'operator stop', by: 'alice', at: at(3) });
    expect(cancelling.state).toBe('executing');
    const outputs = transitionOutputs(cancelling);
    expect(outputs.audit).toEqual([]);
    expect(outputs.publications(written)).toEqual([
      { event: { kind: 'progress', execution_id: 'exec-0001', stage: 'cancelling', at: at(3), message: expect.stringContaining('cancel by alice (operator stop)') } },
    ]);
  });

  it('the end: the attempt ends with its channel writes, the final notebook and results.json, the summary', () => {
    const { run } = approvedWrite();
    const report: ChannelLimitsReport = {
      version: 'v1',
      file: 'limits.yaml',
      policy: 'deny_unlisted',
      writes: [
        { pv: 'X:SET', value: 2, function: 'caput', outcome: 'written', limit: null, message: 'ok', at: at(3) },
        { pv: 'X:SET', value: 99, function: 'caput', outcome: 'refused', limit: 'max_value', message: 'above 10', at: at(3) },
      ],
    };
    const done = run.send({ type: 'EXECUTED', commandId: run.commandId(), result: executeResult(run.commandId(), { channel_limits: report }), at: at(4) });
    const outputs = transitionOutputs(done);
    expect(outputs.audit.map((entry) => entry.event)).toEqual(['execution_end', 'channel_write', 'channel_write_refused', 'transition']);
    expect(outputs.audit[2]).toMatchObject({ pv: 'X:SET', limit: 'max_value', limits_version: 'v1', happened_at: at(3) });
    expect(outputs.atRest).toBe(true);
    expect(outputs.files).toEqual({ attemptNotebook: { attempt: 1, stage: 'succeeded' }, finalNotebook: true, results: true });
    const [state] = outputs.publications(written);
    expect(state).toMatchObject({ event: { kind: 'state', state: 'done', seq: 7, detail: 'succeeded: results returned' } });
    expect(state).toMatchObject({ event: { summary: { outcome: 'succeeded', results: { x: 1 }, notebook_path: written.notebookPath, channel_limits: report } } });
    // A final notebook that could not be written is not named.
    expect(outputs.publications({ revision: 7, notebookPath: null })[0]).toMatchObject({ event: { summary: { notebook_path: null } } });
  });
});
