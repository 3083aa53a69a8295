/**
 * Through the real `pyexec` command: a write approved with `pyexec approve
 * --key` (signed decisions required), its trail shown by `pyexec audit ID`,
 * and `pyexec audit --verify` passing on the intact files and failing once a
 * record is edited or removed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli, runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp.ts';
import { writeConfigFile } from '../support/service-config.ts';
import { findExecutionFolder } from '../../adapters/store/execution-folder.ts';

const folder = tempDir('pyexec-audit-cli-');
afterAll(() => folder.remove());

describe('pyexec keys / approve --key / audit', () => {
  it('approves with a signed decision, shows the trail, and detects tampering', async () => {
    const keyFile = join(folder.path, 'operator.seed');
    const created = await runCli(['keys', 'create', keyFile]);
    expect(created.code, created.stderr).toBe(0);
    const publicKey = created.stdout.trim();
    expect(publicKey).toMatch(/^U[A-Z2-7]{55}$/);

    const setup = writeConfigFile(folder.path, { approval: { require_signed_decisions: true, approvers: [publicKey] } });
    const stateDir = join(folder.path, 'state');
    const common = ['--config', setup.configFile, '--state-dir', stateDir];

    // A run that waits for approval, killed there: the execution waits in the store.
    const first = startCli(['run', 'set the quadrupole', '--behavior', 'epics_write', ...common]);
    await first.waitForStderr('Approve this code?');
    first.child.kill('SIGKILL');
    const id = /execution ([0-9a-f-]{36})/.exec((await first.result).stderr)?.[1] ?? '';
    expect(id).not.toBe('');

    const approved = await runCli(['approve', id, '--key', keyFile, '--approver', 'olga', '--reason', 'checked the setpoint', '--json', ...common]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ execution_id: id, outcome: 'succeeded' });
    expect(setup.epics.writes()).toEqual(['caput SR:MAG:QF1:CURRENT_SP 12.5']);

    const shown = await runCli(['audit', id, ...common]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/decision_received .*approver=olga .*signed_by=U[A-Z2-7]{55}/);
    expect(shown.stdout).toMatch(/decision_counted .*approver=olga/);
    expect(shown.stdout).toMatch(/execution_start/);
    expect(shown.stdout).toMatch(/execution_end .*status=succeeded/);
    expect(shown.stdout).toMatch(/^ok +\S+ +\d+ records, head anchored$/m);

    const intact = await runCli(['audit', '--verify', ...common]);
    expect(intact.code, intact.stdout + intact.stderr).toBe(0);
    expect(intact.stderr).toContain('1 audit trail(s) checked, 0 broken');

    const executionFolder = await findExecutionFolder(setup.executionsRoot, id);
    const auditPath = join(executionFolder ?? '', 'audit.jsonl');
    const original = readFileSync(auditPath, 'utf8');

    writeFileSync(auditPath, original.replace('"approver":"olga"', '"approver":"mallory"'));
    const edited = await runCli(['audit', '--verify', ...common]);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toMatch(/BROKEN .*\n.*edited/);

    const lines = original.split('\n');
    writeFileSync(auditPath, [...lines.slice(0, 3), ...lines.slice(4)].join('\n'));
    const removed = await runCli(['audit', '--verify', ...common]);
    expect(removed.code).toBe(1);
    expect(removed.stdout).toContain('does not follow the record before it');

    writeFileSync(auditPath, `${lines.slice(0, -2).join('\n')}\n`);
    const cut = await runCli(['audit', id, '--verify', ...common]);
    expect(cut.code, cut.stderr).toBe(1);
    expect(cut.stdout, cut.stderr).toContain('records were removed from the end');
  });
});
