/**
 * The embedded default survives a restart with --state-dir: a process that
 * dies while an execution waits for approval loses nothing; the next one
 * takes the execution over, and the approval runs it — once.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.ts';
import { tempDir } from '../support/temp.ts';
import { startService } from '../../actors/service.ts';
import { untilState } from '../support/execution-events.ts';
import { configOf, serviceSetup, writeConfigFile } from '../support/service-config.ts';

const folder = tempDir('pyexec-restart-');
afterAll(() => folder.remove());

describe('restart with --state-dir', () => {
  it('CLI: kill -9 while waiting for approval, then `pyexec approve` on the same state dir finishes it', async () => {
    const setup = writeConfigFile(join(folder.path, 'cli'));
    const stateDir = join(folder.path, 'cli', 'state');
    const common = ['--config', setup.configFile, '--state-dir', stateDir];

    const first = startCli(['run', 'set the quadrupole', '--behavior', 'epics_write', ...common]);
    await first.waitForStderr('Approve this code?');
    first.child.kill('SIGKILL');
    const killed = await first.result;
    const id = /execution ([0-9a-f-]{36})/.exec(killed.stderr)?.[1];
    expect(id, killed.stderr).toBeDefined();
    expect(setup.epics.writes()).toEqual([]);

    const listed = startCli(['list', '--json', ...common]);
    const list = JSON.parse((await listed.result).stdout) as Array<{ execution_id: string; state: string }>;
    expect(list).toContainEqual(expect.objectContaining({ execution_id: id, state: 'awaitingApproval' }));

    const approve = await startCli(['approve', id as string, '--json', ...common]).result;
    expect(approve.code, approve.stderr).toBe(0);
    expect(JSON.parse(approve.stdout)).toMatchObject({ execution_id: id, outcome: 'succeeded', execution_mode: 'write_access' });
    expect(setup.epics.writes()).toEqual(['caput SR:MAG:QF1:CURRENT_SP 12.5']);

    // A second approval of the finished execution is refused, and nothing runs again.
    const again = await startCli(['approve', id as string, ...common]).result;
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('not waiting for approval');
    expect(setup.epics.writes()).toHaveLength(1);
  });

  it('API: a service stopped mid-approval is resumed by a new service on the same store', async () => {
    const api = join(folder.path, 'api');
    const setup = serviceSetup(api, { service: { state_dir: join(api, 'state') } });
    const config = configOf(setup);
    const first = await startService(config, { warmKernel: false });
    const handle = await first.client.submit({ task_objective: 'write', behavior: 'epics_write' });
    await untilState(handle, 'awaitingApproval');
    await first.stop();

    const second = await startService(config, { warmKernel: false });
    try {
      expect(second.supervisor.hosted()).toEqual([handle.id]);
      const resumed = second.client.watch(handle.id);
      await resumed.approve({ approver: 'operator' });
      const summary = await resumed.result;
      expect(summary.outcome).toBe('succeeded');
      expect(setup.epics.writes()).toEqual(['caput SR:MAG:QF1:CURRENT_SP 12.5']);
    } finally {
      await second.stop();
    }
  });
});
