/**
 * The review page in a real headless Chromium against the real service
 * (embedded default, real Python, a fake epics module): an approver logs in,
 * sees a pending write with the written line highlighted, approves, watches
 * it finish live and opens its figure; a viewer sees no buttons, and forged
 * POSTs (wrong role, no CSRF token, another origin) are refused and change
 * nothing.
 */
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type PyexecService } from '../../actors/service.ts';
import { silentLogger } from '../../adapters/logger.ts';
import { hashPassword } from '../../review/passwords.ts';
import { startReviewPage, type ReviewServer } from '../../review/index.ts';
import { createKeyFile } from '../../adapters/signing/decision-keys.ts';
import { tempDir } from '../support/temp.ts';
import { launchChromium } from './browser.ts';
import { configOf, reviewConfig, untilState, writeWithFigure, type ReviewSetup } from './service-setup.ts';

const folder = tempDir('pyexec-review-page-');
let setup: ReviewSetup;
let service: PyexecService;
let server: ReviewServer;
let browser: Browser;

beforeAll(async () => {
  const keyFile = join(folder.path, 'review-page.seed');
  const { publicKey } = createKeyFile(keyFile);
  setup = reviewConfig(folder.path, {
    approval: { require_signed_decisions: true, approvers: [publicKey] },
    ui: {
      signing_key_file: keyFile,
      users: [
        { name: 'alice', password_hash: await hashPassword('alice-password'), roles: ['approver'] },
        { name: 'victor', password_hash: await hashPassword('victor-password'), roles: ['viewer'] },
      ],
    },
  });
  const config = configOf(setup);
  service = await startService(config, { warmKernel: false });
  server = await startReviewPage(config, service.transport, silentLogger, { port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await service?.stop();
  folder.remove();
});

async function logIn(name: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(server.url);
  await page.fill('[data-testid=login] input[name=name]', name);
  await page.fill('[data-testid=login] input[name=password]', password);
  await page.click('[data-testid=login] button[type=submit]');
  await page.waitForSelector(`[data-testid=who]:has-text("${name}")`);
  return page;
}

async function pendingWrite(): Promise<string> {
  const handle = await service.client.submit({ task_objective: `set the quadrupole ${Date.now()}`, approved_code: writeWithFigure });
  await untilState(handle, 'awaitingApproval');
  return handle.id;
}

async function auditEvents(id: string): Promise<string[]> {
  const view = await service.client.get(id);
  return (await service.supervisor.audit.read(view?.context.folder ?? '')).map((record) => String(record.event));
}

/** A POST made outside the page, as an attacker would: any headers, any cookie. */
function forgedPost(path: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

describe('review page', () => {
  it('an approver sees the pending write with its lines highlighted, approves, watches it finish live, and opens its figure', async () => {
    const id = await pendingWrite();
    const page = await logIn('alice', 'alice-password');
    await page.click(`#executions tr[data-id="${id}"]`);
    await page.waitForSelector('[data-testid=decide]');

    expect(await page.textContent('[data-testid=state]')).toBe('awaitingApproval');
    expect(await page.textContent('[data-testid=mode]')).toBe('write_access');
    expect(await page.textContent('[data-testid=deadline]')).not.toBe('');
    expect(await page.textContent('[data-testid=findings]')).toContain('control.write');
    expect(await page.textContent('[data-testid=reasoning]')).toContain('A human must approve');
    expect(await page.getAttribute('[data-testid=notebook]', 'href')).toBe(`/api/executions/${id}/notebook`);
    const highlighted = await page.$$eval('[data-testid=code] li.highlight', (items) => items.map((item) => [item.getAttribute('data-line'), item.textContent]));
    expect(highlighted).toEqual([['4', 'caput("SR:MAG:QF1:CURRENT_SP", 12.5)']]);

    // A marker on the window survives only if the page is never reloaded.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await page.fill('[data-testid=reason]', 'scan approved for shift');
    await page.click('[data-testid=approve]');
    await page.waitForSelector('[data-testid=state]:has-text("done: succeeded")', { timeout: 30_000 });
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await page.$('[data-testid=approve]')).toBeNull();
    expect(await page.textContent('[data-testid=decision]')).toBe('approve by alice: scan approved for shift');
    expect(await page.textContent(`#executions tr[data-id="${id}"]`)).toContain('done: succeeded');
    expect(await page.textContent('[data-testid=results]')).toContain('SR:MAG:QF1:CURRENT_SP');
    expect(await page.textContent('[data-testid=audit-status]')).toMatch(/hash chain intact/);
    expect(await page.textContent('[data-testid=audit]')).toContain('decision_counted');
    expect(setup.epics.writes()).toContain('caput SR:MAG:QF1:CURRENT_SP 12.5');

    const [figure] = await Promise.all([page.waitForEvent('popup'), page.click('[data-testid=figure-link]')]);
    await figure.waitForLoadState();
    expect(await figure.evaluate('document.contentType')).toBe('image/png');
    const width = await page.$eval('.figures img', (image) => (image as unknown as { naturalWidth: number }).naturalWidth);
    expect(width).toBeGreaterThan(100);

    // Signed by the server's key on alice's behalf: the audit keeps both.
    const view = await service.client.get(id);
    const received = (await service.supervisor.audit.read(view?.context.folder ?? '')).find((record) => record.event === 'decision_received');
    expect(received).toMatchObject({ approver: 'alice', verdict: 'approve' });
    expect(String(received?.signed_by)).toMatch(/^U[A-Z2-7]{55}$/);
  });

  it('a viewer sees no buttons, and forged decisions are refused and change nothing', async () => {
    const id = await pendingWrite();
    const writesBefore = setup.epics.writes().length;
    const page = await logIn('victor', 'victor-password');
    await page.click(`#executions tr[data-id="${id}"]`);
    await page.waitForSelector('[data-testid=code] li.highlight');
    expect(await page.$('[data-testid=decide]')).toBeNull();
    expect(await page.$('[data-testid=approve]')).toBeNull();

    const view = await service.client.get(id);
    const body = { verdict: 'approve', reason: 'forged', approval_id: view?.context.approval?.approvalId, code_sha256: view?.context.codeSha256 };
    // The viewer's own session and CSRF token, from inside the page: the role is checked on the server.
    const asViewer = await page.evaluate(async (decision) => {
      const session = (await (await fetch('/api/session')).json()) as { csrf_token: string };
      const response = await fetch(`/api/executions/${decision.id}/decision`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token },
        body: JSON.stringify(decision.body),
      });
      return { status: response.status, body: (await response.json()) as { error: string } };
    }, { id, body });
    expect(asViewer).toEqual({ status: 403, body: { error: 'victor is not an approver' } });

    // An approver's session cookie without its CSRF token, or from another origin.
    const alice = await logIn('alice', 'alice-password');
    const cookies = await alice.context().cookies();
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const csrf = await alice.evaluate(async () => ((await (await fetch('/api/session')).json()) as { csrf_token: string }).csrf_token);
    const path = `/api/executions/${id}/decision`;
    const noToken = await forgedPost(path, { Cookie: cookie }, body);
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain('CSRF');
    const otherOrigin = await forgedPost(path, { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: 'http://evil.example' }, body);
    expect(otherOrigin.status).toBe(403);
    expect(otherOrigin.text).toContain('cross-origin');
    const noSession = await forgedPost(path, { 'X-CSRF-Token': csrf }, body);
    expect(noSession.status).toBe(401);

    const after = await service.client.get(id);
    expect(after?.record.state).toBe('awaitingApproval');
    expect(after?.context.decision).toBeNull();
    expect(await auditEvents(id)).not.toContain('decision_received');
    expect(setup.epics.writes()).toHaveLength(writesBefore);

    // The same cookie and token from the page itself do count: the refusals above were the checks, not a broken path.
    const accepted = await forgedPost(path, { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: server.url }, { ...body, reason: 'checked' });
    expect(accepted.status).toBe(202);
    await expect.poll(async () => (await service.client.get(id))?.record.outcome, { timeout: 30_000 }).toBe('succeeded');
  });

  it('refuses a wrong password', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(server.url);
    await page.fill('[data-testid=login] input[name=name]', 'alice');
    await page.fill('[data-testid=login] input[name=password]', 'not-her-password');
    await page.click('[data-testid=login] button[type=submit]');
    await page.waitForSelector('#login-error:has-text("wrong password")');
    expect(await page.isHidden('#app')).toBe(true);
  });
});
