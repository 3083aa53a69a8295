/**
 * The roles of nats-server.conf with the whole service: `serve` and
 * `executor` run as their users, a requester submits with `pyexec submit`,
 * and when the requester tries `pyexec approve` the server refuses the
 * decision — the execution keeps waiting — until an approver approves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../support/nats-server.ts';
import { natsConfigFile, roleEnvironment, roleLogins, rolePasswords } from '../support/nats-roles.ts';
import { Deployment } from '../support/deployment.ts';
import { runPyexec, type Site } from '../support/pyexec-site.ts';
import { eventually } from '../support/eventually.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const service = roleEnvironment('service');
const requester = roleEnvironment('requester');
const approver = roleEnvironment('approver');
const executor = roleEnvironment('executor');

describe('roles of nats-server.conf with the real processes', () => {
  let server: NatsServer;
  let deployment: Deployment;
  let site: Site;

  beforeAll(async () => {
    server = await NatsServer.start({ configFile: natsConfigFile, env: rolePasswords, auth: roleLogins.service });
    deployment = new Deployment(server, server.url);
    ({ site } = deployment);
    const url = { PYEXEC_NATS_URL: server.url };
    await deployment.start('service', ['serve'], { ...url, ...service });
    await deployment.start('executor', ['executor'], { ...url, ...executor });
  });

  afterAll(() => deployment?.stop());

  it('refuses an approval from a requester and takes the one from an approver', async () => {
    const url = { PYEXEC_NATS_URL: server.url };
    const codeFile = join(site.root, 'set.py');
    writeFileSync(codeFile, 'from epics import caput\ncaput("SR:TEST:ROLES", 0.5)\nresults = {"set": 0.5}\n');
    const submitted = await runPyexec(site, ['submit', 'set a corrector', '--id', 'roles-0001', '--code', codeFile], { ...url, ...requester });
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(submitted.stdout.trim()).toBe('roles-0001');
    await eventually(async () => {
      const listed = await runPyexec(site, ['list', '--json'], { ...url, ...requester });
      const rows = JSON.parse(listed.stdout || '[]') as { execution_id: string; state: string }[];
      return rows.find((row) => row.execution_id === 'roles-0001')?.state === 'awaitingApproval';
    }, 'the execution to wait for approval');

    const forged = await runPyexec(site, ['approve', 'roles-0001', '--approver', 'mallory'], { ...url, ...requester });
    expect(forged.code).toBe(2);
    expect(forged.stderr).toMatch(/refused.*Permissions Violation/i);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(site.count('caput SR:TEST:ROLES 0.5')).toBe(0);

    const approved = await runPyexec(site, ['approve', 'roles-0001', '--approver', 'bob', '--reason', 'checked'], { ...url, ...approver });
    expect(approved.code, approved.stderr).toBe(0);
    const watched = await runPyexec(site, ['watch', 'roles-0001', '--json'], { ...url, ...requester });
    expect(watched.code, watched.stderr).toBe(0);
    expect(JSON.parse(watched.stdout)).toMatchObject({ execution_id: 'roles-0001', outcome: 'succeeded', results: { set: 0.5 } });
    expect(site.count('caput SR:TEST:ROLES 0.5')).toBe(1);
  });
});
