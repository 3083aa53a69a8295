/**
 * kill -9 of the supervisor that owns an execution, in each state it can
 * be in (generating, analyzing, awaitingApproval, executing): another
 * supervisor takes the execution over once the lease (2 s here) expires and
 * finishes it. Nothing is lost and nothing runs twice: the generator is
 * asked once (a re-issued command gets the answer already computed), the
 * code runs once, a write is made once.
 *
 * Processes: nats-server; two supervisors (`serve --actors supervisor`,
 * replaced as they are killed); one `serve --actors generator,analyzer`
 * (paused with SIGSTOP to hold an execution in generating or analyzing);
 * one executor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PyexecClient } from '../../client/client.ts';
import type { Transport } from '../../bus/transport.ts';
import type { StateName } from '../../protocol/public.ts';
import { kvKeys } from '../../protocol/kv-keys.ts';
import { executionRecordSchema, type ExecutionRecord } from '../../protocol/record.ts';
import { NatsServer } from '../support/nats-server.ts';
import { Deployment } from '../support/deployment.ts';
import { runPyexec, type PyexecProcess, type Site } from '../support/pyexec-site.ts';
import { eventually } from '../support/eventually.ts';

const leaseSeconds = '2';

describe('supervisor killed with SIGKILL', () => {
  let server: NatsServer;
  let deployment: Deployment;
  let site: Site;
  let transport: Transport;
  let client: PyexecClient;
  let workers: PyexecProcess;
  const supervisors = new Map<string, PyexecProcess>();
  let supervisorCount = 0;

  const nats = () => ['--nats', server.url];
  const startSupervisor = async () => {
    supervisorCount += 1;
    const id = `supervisor-${supervisorCount}`;
    supervisors.set(id, await deployment.start(id, ['serve', ...nats(), '--actors', 'supervisor', '--supervisor-id', id, '--lease-seconds', leaseSeconds]));
  };

  beforeAll(async () => {
    server = await NatsServer.start();
    deployment = new Deployment(server, server.url);
    ({ site } = deployment);
    // The first supervisor creates the streams and the KV bucket; the rest start together.
    await startSupervisor();
    [workers] = await Promise.all([
      deployment.start('workers', ['serve', ...nats(), '--actors', 'generator,analyzer']),
      deployment.start('executor', ['executor', ...nats(), '--concurrency', '2', '--name', 'executor-1']),
      startSupervisor(),
    ]);
    ({ transport, client } = await deployment.connect('failover-test'));
  });

  afterAll(() => deployment?.stop());

  /** Waits until the execution is in `state`, kills its owner with SIGKILL and starts a replacement. */
  async function killOwnerIn(executionId: string, state: StateName): Promise<string> {
    const owner = await eventually(async () => {
      const record = await recordOf(executionId);
      return record?.state === state ? record.owner : undefined;
    }, `execution ${executionId} in ${state}`);
    const process = supervisors.get(owner);
    if (!process) throw new Error(`owner ${owner} is not one of the test's supervisors`);
    await process.kill();
    supervisors.delete(owner);
    void startSupervisor();
    return owner;
  }

  /** The execution's KV record: who owns it is the supervisors' business, not the clients' view. */
  async function recordOf(executionId: string): Promise<ExecutionRecord | null> {
    const entry = await transport.kv.get(kvKeys.execution(executionId));
    return entry ? executionRecordSchema.parse(entry.value) : null;
  }

  /** Waits until a live supervisor owns the execution again. */
  async function takenOverFrom(executionId: string, dead: string): Promise<string> {
    return eventually(async () => {
      const owner = (await recordOf(executionId))?.owner;
      return owner && owner !== dead ? owner : undefined;
    }, `a takeover of ${executionId}`, 30_000);
  }

  async function finished(executionId: string) {
    return eventually(async () => {
      const view = await client.get(executionId);
      return view?.state === 'done' ? view : undefined;
    }, `execution ${executionId} to finish`);
  }

  it('finishes an execution whose supervisor died while generating, generating once', async () => {
    workers.pause(); // the generate command waits at the (stopped) generator
    try {
      const handle = await client.submit({ execution_id: 'failover-generating', task_objective: 'read the beam current' });
      const dead = await killOwnerIn(handle.id, 'generating');
      await takenOverFrom(handle.id, dead);
    } finally {
      workers.resume();
    }
    const view = await finished('failover-generating');
    expect(view.outcome).toBe('succeeded');
    expect(site.generations('failover-generating')).toBe(1);
    expect(site.count('caget RUN:failover-generating')).toBe(1);
  });

  it('finishes an execution whose supervisor died while analyzing', async () => {
    workers.pause();
    try {
      const code = 'from epics import caget\nvalue = caget("RUN:failover-analyzing")\nresults = {"value": value}\n';
      const handle = await client.submit({ execution_id: 'failover-analyzing', task_objective: 'read', approved_code: code });
      const dead = await killOwnerIn(handle.id, 'analyzing');
      await takenOverFrom(handle.id, dead);
    } finally {
      workers.resume();
    }
    const view = await finished('failover-analyzing');
    expect(view.outcome).toBe('succeeded');
    expect(site.count('caget RUN:failover-analyzing')).toBe(1);
  });

  it('finishes an execution whose supervisor died while awaiting approval; the approval sent meanwhile counts', async () => {
    const code = 'from epics import caput\ncaput("SR:TEST:APPROVAL", 1.5)\nresults = {"set": 1.5}\n';
    const handle = await client.submit({ execution_id: 'failover-approval', task_objective: 'set a corrector', approved_code: code });
    await killOwnerIn(handle.id, 'awaitingApproval');
    // Sent while no live supervisor hosts the execution: it waits in the queue for the new owner.
    const approved = await runPyexec(site, ['approve', handle.id, ...nats(), '--approver', 'operator']);
    expect(approved.code, approved.stderr).toBe(0);
    const view = await finished('failover-approval');
    expect(view.outcome).toBe('succeeded');
    expect(view.decision?.approver).toBe('operator');
    expect(site.count('caput SR:TEST:APPROVAL 1.5')).toBe(1);
  });

  it('finishes an execution whose supervisor died while executing, without running it again', async () => {
    const code = [
      'import time',
      'from epics import caget, caput',
      'caget("RUN:failover-executing")',
      'time.sleep(3)',
      'caput("SR:TEST:EXECUTING", 2.5)',
      'results = {"set": 2.5}',
      '',
    ].join('\n');
    const handle = await client.submit({ execution_id: 'failover-executing', task_objective: 'set a corrector slowly', approved_code: code });
    await eventually(async () => (await client.get(handle.id))?.state === 'awaitingApproval', 'the approval request');
    await client.decide(handle.id, 'approve', { reason: 'test', approver: 'operator' });
    await eventually(() => site.count('caget RUN:failover-executing') === 1, 'the code to start');
    // The result is published while its owner is dead: the new owner finds it in KV.
    const dead = await killOwnerIn(handle.id, 'executing');
    await takenOverFrom(handle.id, dead);
    const view = await finished('failover-executing');
    expect(view.outcome).toBe('succeeded');
    expect(view.summary?.results).toEqual({ set: 2.5 });
    expect(site.count('caget RUN:failover-executing')).toBe(1);
    expect(site.count('caput SR:TEST:EXECUTING 2.5')).toBe(1);
  });
});
