/**
 * The audit trail on NATS, with the real processes and nats-server.conf's
 * roles: `pyexec serve --nats --ui` and `pyexec executor` run an execution
 * that an operator approves on the review page (over HTTP); its records are
 * kept in the pyexec_audit stream, `pyexec audit ID --nats` (as an approver)
 * lists them and `--verify` passes, against the file and from the stream
 * alone; a forged record published on the subject by a service user fails
 * both checks.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { hashPassword } from '../../review/passwords.ts';
import { subjects } from '../../protocol/subjects.ts';
import { NatsServer } from '../support/nats-server.ts';
import { natsConfigFile, roleEnvironment, roleLogins, rolePasswords } from '../support/nats-roles.ts';
import { Deployment } from '../support/deployment.ts';
import { runPyexec, Site } from '../support/pyexec-site.ts';
import { eventually } from '../support/eventually.ts';

const service = roleEnvironment('service');
const requester = roleEnvironment('requester');
const approver = roleEnvironment('approver');
const executor = roleEnvironment('executor');
const id = 'audit-nats-0001';

/** A logged-in operator of the review page, over plain HTTP. */
class PageSession {
  private constructor(
    private readonly url: string,
    private readonly cookie: string,
    private readonly csrf: string,
  ) {}

  static async login(url: string, name: string, password: string): Promise<PageSession> {
    const response = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, password }) });
    expect(response.status, await response.clone().text()).toBe(200);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const { csrf_token } = (await response.json()) as { csrf_token: string };
    return new PageSession(url, cookie, csrf_token);
  }

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`, { headers: { Cookie: this.cookie } });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as T;
  }

  post(path: string, body: unknown): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { Cookie: this.cookie, 'X-CSRF-Token': this.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
}

interface Detail {
  state: string;
  outcome: string | null;
  code_sha256: string;
  approval: { approval_id: string } | null;
  decision: { approver: string } | null;
  audit: { records: Array<Record<string, unknown>>; ok: boolean; problems: string[] };
}

describe('the audit trail in the pyexec_audit stream', () => {
  let server: NatsServer;
  let deployment: Deployment;
  let site: Site;
  let elsewhere: Site;
  let pageUrl: string;
  const url = () => ({ PYEXEC_NATS_URL: server.url });

  beforeAll(async () => {
    server = await NatsServer.start({ configFile: natsConfigFile, env: rolePasswords, auth: roleLogins.service });
    deployment = new Deployment(server, server.url, new Site({ ui: { users: [{ name: 'olga', password_hash: await hashPassword('olga-secret'), roles: ['approver'] }] } }));
    ({ site } = deployment);
    elsewhere = new Site(); // another host: the same NATS server, none of the execution folders
    const serve = await deployment.start('service', ['serve', '--ui', '--port', '0'], { ...url(), ...service });
    await serve.waitFor(/review page at http:\/\/\S+/, 30_000);
    pageUrl = /review page at (http:\/\/\S+?)\/?\s/.exec(serve.output())?.[1] ?? '';
    await deployment.start('executor', ['executor'], { ...url(), ...executor });
  });

  afterAll(async () => {
    await deployment?.stop();
    elsewhere?.dispose();
  });

  it('keeps every record, approved on the page, listed and verified by pyexec audit --nats', async () => {
    const codeFile = join(site.root, 'set.py');
    writeFileSync(codeFile, 'from epics import caput\ncaput("SR:TEST:AUDIT", 2.5)\nresults = {"set": 2.5}\n');
    const submitted = await runPyexec(site, ['submit', 'set a corrector', '--id', id, '--code', codeFile], { ...url(), ...requester });
    expect(submitted.code, submitted.stderr).toBe(0);

    const page = await PageSession.login(pageUrl, 'olga', 'olga-secret');
    await eventually(async () => {
      const items = await page.get<Array<{ execution_id: string; state: string }>>('/api/executions');
      return items.find((item) => item.execution_id === id)?.state === 'awaitingApproval';
    }, 'the page to list the execution awaiting approval');
    const pending = await page.get<Detail>(`/api/executions/${id}`);
    expect(pending.approval).not.toBeNull();
    const decided = await page.post(`/api/executions/${id}/decision`, {
      verdict: 'approve',
      reason: 'setpoint checked',
      approval_id: pending.approval?.approval_id,
      code_sha256: pending.code_sha256,
      // A write-mode approval names the PVs it confirms (docs/review.md).
      confirmed_writes: ['SR:TEST:AUDIT'],
    });
    expect(decided.status, await decided.clone().text()).toBe(202);

    // The record says `done` first (persist → audit → publish): the trail is complete once it holds the transition to done.
    const done = await eventually(async () => {
      const current = await page.get<Detail>(`/api/executions/${id}`);
      return current.state === 'done' && current.audit.records.some((record) => record.event === 'transition' && record.to === 'done') && current;
    }, 'the execution to finish and its trail to record the end');
    expect(done).toMatchObject({ outcome: 'succeeded', decision: { approver: 'olga' } });
    expect(site.count('caput SR:TEST:AUDIT 2.5')).toBe(1);
    expect(done.audit.problems).toEqual([]);
    expect(done.audit.records.map((record) => record.event)).toEqual(expect.arrayContaining(['decision_received', 'decision_counted', 'execution_end']));

    const shown = await runPyexec(site, ['audit', id, '--nats', server.url, '--json'], approver);
    expect(shown.code, shown.stdout + shown.stderr).toBe(0);
    const { records, verification } = JSON.parse(shown.stdout) as { records: Array<Record<string, unknown>>; verification: { ok: boolean; logged: number; records: number } };
    const events = records.map((record) => record.event);
    expect(events[0]).toBe('folder_created');
    for (const event of ['request', 'transition', 'decision_received', 'decision_counted', 'execution_start', 'execution_end']) expect(events).toContain(event);
    expect(records.find((record) => record.event === 'decision_received')).toMatchObject({ approver: 'olga', verdict: 'approve' });
    expect(records.map((record) => record.seq ?? 0)).toEqual(records.map((_, index) => index));
    expect(verification).toMatchObject({ ok: true, logged: records.length, records: records.length });

    const listed = await runPyexec(site, ['audit', id, '--nats', server.url], approver);
    expect(listed.stdout).toMatch(/decision_counted .*approver=olga/);
    expect(listed.stdout).toMatch(/^ok +audit-nats-0001 +\d+ records, same in the audit stream, head anchored$/m);

    const remote = await runPyexec(elsewhere, ['audit', id, '--verify', '--nats', server.url], requester);
    expect(remote.code, remote.stdout + remote.stderr).toBe(0);
    expect(remote.stdout).toMatch(/^ok +audit-nats-0001 +\d+ records in the audit stream, head anchored$/m);
  });

  it('fails verification once a forged record is in the stream', async () => {
    const shown = await runPyexec(elsewhere, ['audit', id, '--nats', server.url, '--json'], approver);
    const { records } = JSON.parse(shown.stdout) as { records: Array<Record<string, unknown>> };
    const received = records.find((record) => record.event === 'decision_received');
    expect(received).toBeDefined();

    // A service user (the only one allowed to publish there) re-publishes the decision with another approver.
    const forger = await connect({ servers: server.url, user: service.PYEXEC_NATS_USER, pass: service.PYEXEC_NATS_PASSWORD });
    try {
      forger.publish(subjects.audit(id), JSON.stringify({ ...received, approver: 'mallory' }));
      await forger.flush();
    } finally {
      await forger.close();
    }

    const againstFile = await runPyexec(site, ['audit', id, '--verify', '--nats', server.url], approver);
    expect(againstFile.code).toBe(1);
    expect(againstFile.stdout).toMatch(/BROKEN +audit-nats-0001/);
    expect(againstFile.stdout).toMatch(/stream: message \d+ \(seq \d+\): edited/);

    const streamOnly = await runPyexec(elsewhere, ['audit', id, '--verify', '--nats', server.url], requester);
    expect(streamOnly.code).toBe(1);
    expect(streamOnly.stdout).toMatch(/BROKEN +audit-nats-0001 +\(audit stream only\)/);

    const forbidden = await connect({ servers: server.url, user: approver.PYEXEC_NATS_USER, pass: approver.PYEXEC_NATS_PASSWORD });
    try {
      const refused = new Promise<string>((resolve) => {
        void (async () => {
          for await (const status of forbidden.status()) if (status.type === 'error') return resolve(String(status.error));
        })();
      });
      forbidden.publish(subjects.audit(id), JSON.stringify({ ...received, approver: 'eve' }));
      expect(await refused).toMatch(/Permissions Violation/i);
    } finally {
      await forbidden.close();
    }
  });
});
