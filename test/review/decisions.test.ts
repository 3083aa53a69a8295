/**
 * Signed approval decisions through the real service (embedded default, real
 * Python, a fake epics module): every bad decision is refused, recorded in the
 * hash-chained audit trail, and leaves the execution as it was; of two
 * approvers deciding at once exactly one counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type PyexecService } from '../../actors/service.ts';
import type { ExecutionHandle } from '../../client/client.ts';
import type { ApprovalDecision } from '../../protocol/public.ts';
import { sha256Hex } from '../../machines/execution-rules.ts';
import { tempDir } from '../support/temp.ts';
import { untilState } from '../support/execution-events.ts';
import { configOf, serviceSetup, type ServiceSetup } from '../support/service-config.ts';
import { newKey, untilRefusal, writeWithFigure } from './review-inputs.ts';

const folder = tempDir('pyexec-decisions-');
const alice = newKey();
const bob = newKey();
const stranger = newKey();
let setup: ServiceSetup;
let service: PyexecService;

beforeAll(async () => {
  setup = serviceSetup(folder.path, { approval: { require_signed_decisions: true, approvers: [alice.publicKey, bob.publicKey], deadline_seconds: 60 } });
  service = await startService(configOf(setup), { warmKernel: false });
});
afterAll(async () => {
  await service?.stop();
  folder.remove();
});

async function pendingDecision(handle: ExecutionHandle, overrides: Partial<ApprovalDecision> = {}): Promise<ApprovalDecision> {
  const view = await service.client.get(handle.id);
  const approval = view?.approval;
  if (!approval) throw new Error(`execution ${handle.id} has no pending approval`);
  return {
    execution_id: handle.id,
    approval_id: approval.approval_id,
    code_sha256: approval.code_sha256,
    verdict: 'approve',
    reason: 'checked',
    approver: 'alice',
    decided_at: new Date().toISOString(),
    ...overrides,
  };
}

async function auditOf(id: string): Promise<Array<Record<string, unknown>>> {
  const view = await service.client.get(id);
  if (!view) throw new Error(`no execution ${id}`);
  return service.supervisor.audit.read(view.folder);
}

describe('signed decisions', () => {
  it('refuses unsigned, unknown-key, other-code and stale decisions; each is recorded and the execution keeps waiting', async () => {
    const handle = await service.client.submit({ task_objective: 'set the quadrupole', approved_code: writeWithFigure });
    await untilState(handle, 'awaitingApproval');
    const valid = await pendingDecision(handle);

    const attempts: Array<[string, ApprovalDecision, RegExp]> = [
      ['unsigned', valid, /unsigned decision/],
      ['unknown key', stranger.sign(valid), /not an approver/],
      ['other code', alice.sign({ ...valid, code_sha256: sha256Hex('print("something else")\n') }), /other code/],
      ['stale approval id', alice.sign({ ...valid, approval_id: `${valid.approval_id}-old` }), /stale approval id/],
      ['edited after signing', { ...alice.sign(valid), verdict: 'reject' }, /signature does not match/],
    ];
    for (const [index, [, decision, reason]] of attempts.entries()) {
      await service.client.publishDecision(decision);
      const refusals = await untilRefusal(handle, index + 1);
      expect(refusals.at(-1)?.reason).toMatch(reason);
    }

    const view = await service.client.get(handle.id);
    expect(view?.state).toBe('awaitingApproval');
    expect(view?.decision).toBeNull();
    expect(setup.epics.writes()).toEqual([]);
    const audit = await auditOf(handle.id);
    const refused = audit.filter((record) => record.event === 'decision_refused').map((record) => String(record.reason));
    expect(refused).toHaveLength(attempts.length);
    attempts.forEach(([, , reason], index) => expect(refused[index]).toMatch(reason));
    expect(audit.filter((record) => record.event === 'decision_received')).toHaveLength(attempts.length);
    expect(audit.some((record) => record.event === 'decision_counted')).toBe(false);

    await handle.cancel('test done');
    expect((await handle.settled).outcome).toBe('cancelled');
  });

  it('counts exactly one of two approvers deciding at once, and refuses the replay of a counted decision', async () => {
    const before = setup.epics.writes().length;
    const handle = await service.client.submit({ task_objective: 'set the quadrupole', approved_code: writeWithFigure });
    await untilState(handle, 'awaitingApproval');
    const fromAlice = alice.sign(await pendingDecision(handle, { approver: 'alice' }));
    const fromBob = bob.sign(await pendingDecision(handle, { approver: 'bob', verdict: 'reject', reason: 'not now' }));
    await Promise.all([service.client.publishDecision(fromAlice), service.client.publishDecision(fromBob)]);

    const summary = await handle.settled;
    const audit = await auditOf(handle.id);
    const counted = audit.filter((record) => record.event === 'decision_counted');
    expect(counted).toHaveLength(1);
    const winner = counted[0]?.approver;
    expect(summary.outcome).toBe(winner === 'alice' ? 'succeeded' : 'rejected');
    expect(setup.epics.writes().length - before).toBe(winner === 'alice' ? 1 : 0);
    const loser = audit.filter((record) => record.event === 'decision_refused');
    expect(loser).toHaveLength(1);
    expect(loser[0]?.approver).toBe(winner === 'alice' ? 'bob' : 'alice');

    // The counted decision, published again after the end: refused as a replay, nothing runs again.
    const writesAfter = setup.epics.writes().length;
    await service.client.publishDecision(winner === 'alice' ? fromAlice : fromBob);
    await expect.poll(async () => (await auditOf(handle.id)).filter((record) => record.event === 'decision_refused').length).toBe(2);
    const replay = (await auditOf(handle.id)).filter((record) => record.event === 'decision_refused').at(-1);
    expect(String(replay?.reason)).toMatch(/replay/);
    expect(setup.epics.writes().length).toBe(writesAfter);
    expect((await service.client.get(handle.id))?.outcome).toBe(summary.outcome);

    const verification = await service.supervisor.audit.verify((await service.client.get(handle.id))?.folder ?? '', handle.id);
    expect(verification.problems).toEqual([]);
    expect(verification.ok).toBe(true);
  });

  it('refuses a correctly signed decision that arrives after the deadline; the execution stays expired', async () => {
    const shortSetup = serviceSetup(`${folder.path}/short`, { approval: { require_signed_decisions: true, approvers: [alice.publicKey], deadline_seconds: 1 } });
    const short = await startService(configOf(shortSetup), { warmKernel: false });
    try {
      const handle = await short.client.submit({ task_objective: 'set the quadrupole', approved_code: writeWithFigure });
      await untilState(handle, 'awaitingApproval');
      const view = await short.client.get(handle.id);
      const approval = view?.approval;
      if (!view || !approval) throw new Error('no pending approval');
      const late = alice.sign({
        execution_id: handle.id,
        approval_id: approval.approval_id,
        code_sha256: approval.code_sha256,
        verdict: 'approve',
        reason: 'too late',
        approver: 'alice',
        decided_at: new Date().toISOString(),
      });
      expect((await handle.settled).outcome).toBe('expired');
      await short.client.publishDecision(late);
      await expect.poll(async () => (await short.supervisor.audit.read(view.folder)).some((record) => record.event === 'decision_refused')).toBe(true);
      const refusal = (await short.supervisor.audit.read(view.folder)).find((record) => record.event === 'decision_refused');
      expect(String(refusal?.reason)).toMatch(/deadline has passed/);
      expect((await short.client.get(handle.id))?.outcome).toBe('expired');
      expect(shortSetup.epics.writes()).toEqual([]);
    } finally {
      await short.stop();
    }
  });
});
