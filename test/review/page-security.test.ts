/**
 * The review page's sessions, hostile content and proxy settings, against
 * the real service (embedded default, real Python, fake epics) with three
 * pages on it: the default one, one whose logins idle out after 2 s, and
 * one behind a reverse proxy under /pyexec. Streams of a session end at
 * logout and at idle expiry (nothing more reaches them); payloads in a task,
 * a requester name, code and a reason stay text in Chromium under a strict
 * CSP; a decision for other code is refused by the supervisor.
 */
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type PyexecService } from '../../actors/service.ts';
import { silentLogger } from '../../logging/logger.ts';
import { readChain } from '../../adapters/audit/hash-chain.ts';
import { sha256Hex } from '../../machines/execution-rules.ts';
import { parseConfig } from '../../config/load.ts';
import { hashPassword } from '../../review/passwords.ts';
import { startReviewPage, type ReviewServer } from '../../review/index.ts';
import { tempDir } from '../support/temp.ts';
import { launchChromium } from './browser.ts';
import { forgedPost, logIn, rawRequest, screenshot } from './page-helpers.ts';
import { untilState } from '../support/execution-events.ts';
import { serviceSetup, type ServiceSetup } from '../support/service-config.ts';
import { writeWithFigure } from './review-inputs.ts';

const folder = tempDir('pyexec-review-security-');
let setup: ServiceSetup;
let service: PyexecService;
let page: ReviewServer;
let idlePage: ReviewServer;
let proxiedPage: ReviewServer;
let browser: Browser;

beforeAll(async () => {
  const users = await Promise.all(['alice', 'bob'].map(async (name) => ({ name, password_hash: await hashPassword(`${name}-password`), roles: ['approver' as const] })));
  setup = serviceSetup(folder.path, { ui: { users } });
  const withUi = (ui: Record<string, unknown>) => parseConfig({ ...setup.configInput, ui: { users, ...ui } }, 'test');
  service = await startService(withUi({}), { warmKernel: false });
  page = await startReviewPage(withUi({}), service.transport, silentLogger, { port: 0 });
  idlePage = await startReviewPage(withUi({ session_idle_seconds: 2 }), service.transport, silentLogger, { port: 0 });
  proxiedPage = await startReviewPage(
    withUi({ base_path: '/pyexec', trusted_proxies: ['127.0.0.1'], allowed_hosts: ['review.example.org', '127.0.0.1'] }),
    service.transport,
    silentLogger,
    { port: 0 },
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const server of [page, idlePage, proxiedPage]) await server?.close();
  await service?.stop();
  folder.remove();
});

async function session(base: string, name: string, from = '127.0.0.1', prefix = ''): Promise<{ cookie: string; csrf: string }> {
  const response = await forgedPost(base, `${prefix}/api/login`, {}, { name, password: `${name}-password` }, from);
  expect(response.status, response.text).toBe(200);
  return { cookie: String(response.headers['set-cookie']).split(';')[0] ?? '', csrf: (JSON.parse(response.text) as { csrf_token: string }).csrf_token };
}

interface Stream {
  status: number;
  text(): string;
  ended: Promise<void>;
  close(): void;
}

/** An event stream held open by a raw client, as a browser tab left open would. */
function openStream(base: string, cookie: string): Promise<Stream> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path: '/api/events', headers: { Cookie: cookie, Accept: 'text/event-stream' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const ended = new Promise<void>((done) => response.on('close', () => done()));
      resolve({ status: response.statusCode ?? 0, text: () => text, ended, close: () => request.destroy() });
    });
    request.on('error', reject);
    request.end();
  });
}

async function pendingWrite(task = `set the quadrupole ${Date.now()}`): Promise<string> {
  const handle = await service.client.submit({ task_objective: task, approved_code: writeWithFigure });
  await untilState(handle, 'awaitingApproval');
  return handle.id;
}

function securityEvents(): Array<Record<string, unknown>> {
  const chain = readChain(readFileSync(join(folder.path, 'executions', 'review-page-security', 'audit.jsonl'), 'utf8'));
  expect(chain.problems).toEqual([]);
  return chain.records;
}

describe('review page: sessions end for real', () => {
  it('closes the streams of a session at logout, and only that session’s: nothing more reaches them', async () => {
    const alice = await session(page.url, 'alice');
    const bob = await session(page.url, 'bob');
    const aliceStream = await openStream(page.url, alice.cookie);
    const bobStream = await openStream(page.url, bob.cookie);
    expect([aliceStream.status, bobStream.status]).toEqual([200, 200]);
    await expect.poll(() => aliceStream.text()).toContain(': connected');

    const logout = await forgedPost(page.url, '/api/logout', { Cookie: alice.cookie, 'X-CSRF-Token': alice.csrf }, {});
    expect(logout.status).toBe(200);
    await aliceStream.ended;
    const heardBeforeLogout = aliceStream.text();

    const id = await pendingWrite();
    await expect.poll(() => bobStream.text(), { timeout: 30_000 }).toContain(id);
    expect(aliceStream.text()).toBe(heardBeforeLogout);
    expect(heardBeforeLogout).not.toContain(id);
    const again = await openStream(page.url, alice.cookie);
    expect(again.status).toBe(401);
    bobStream.close();
    expect(securityEvents().some((record) => record.event === 'logout' && record.user === 'alice')).toBe(true);
  });

  it('closes the streams of a session that idled out, and the page in Chromium goes back to the login', async () => {
    const alice = await session(idlePage.url, 'alice');
    const stream = await openStream(idlePage.url, alice.cookie);
    expect(stream.status).toBe(200);
    // Only the stream is open: no request keeps the session alive, so it ends after its 2 s.
    await stream.ended;
    expect((await rawRequest(idlePage.url, '/api/session', { headers: { Cookie: alice.cookie } })).status).toBe(401);
    // Recorded by the idle timer beside closing the streams, not before: it lands a moment later.
    await expect.poll(() => securityEvents().some((record) => record.event === 'session_expired' && record.user === 'alice'), { timeout: 10_000 }).toBe(true);

    const tab = await logIn(browser, idlePage.url, 'bob', 'bob-password');
    await tab.waitForSelector('[data-testid=login]', { state: 'visible', timeout: 20_000 });
    expect(await tab.isHidden('#app')).toBe(true);
  });
});

describe('review page: hostile content', () => {
  it('keeps payloads in a task, a requester, code, PV names and a reason as text under a strict CSP', async () => {
    const payload = (n: number) => `<img src=x onerror="globalThis.__xss=${n}"><script>globalThis.__xss=${n}</script>`;
    const code = [
      'from epics import caput',
      `# ${payload(3)}`,
      `caput("${payload(4).replaceAll('"', "'")}", 1)`,
      `results = {"html": "${payload(5).replaceAll('"', "'")}"}`,
      '',
    ].join('\n');
    const handle = await service.client.submit({ task_objective: payload(1), requester: payload(2), approved_code: code });
    await untilState(handle, 'awaitingApproval');

    const tab = await logIn(browser, page.url, 'alice', 'alice-password');
    const dialogs: string[] = [];
    tab.on('dialog', (dialog) => void dialogs.push(dialog.message()));
    await tab.click(`#executions tr[data-id="${handle.id}"]`);
    await tab.waitForSelector('[data-testid=decide]');
    expect(await tab.textContent('[data-testid=detail] h2')).toBe(payload(1));
    expect(await tab.textContent('[data-testid=detail]')).toContain(payload(2));
    expect(await tab.textContent('[data-testid=code]')).toContain(payload(3));
    expect(await tab.textContent('[data-testid=approve-writes]')).toContain(payload(4).replaceAll('"', "'"));
    await tab.fill('[data-testid=reason]', payload(6));
    await tab.click('[data-testid=reject]');
    await tab.waitForSelector('[data-testid=state]:has-text("done: rejected")', { timeout: 30_000 });
    expect(await tab.textContent('[data-testid=decision]')).toBe(`reject by alice: ${payload(6)}`);
    expect(await tab.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await tab.$$('img, [data-testid=detail] script')).toHaveLength(0);
    expect(dialogs).toEqual([]);
    await screenshot(tab, 'xss-payloads-as-text');

    const policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    for (const path of ['/', '/review.css', '/js/main.js', '/api/session', '/api/nothing-here']) {
      const response = await rawRequest(page.url, path);
      expect(response.headers['content-security-policy'], path).toBe(policy);
      expect(response.headers['x-content-type-options'], path).toBe('nosniff');
    }
  });

  it('a decision for the hash of other code is published and refused by the supervisor; the execution keeps waiting', async () => {
    const id = await pendingWrite();
    const alice = await session(page.url, 'alice');
    const view = await service.client.get(id);
    const stale = { verdict: 'approve', reason: 'old code', approval_id: view?.approval?.approval_id, code_sha256: sha256Hex('print("other code")\n'), confirmed_writes: ['SR:MAG:QF1:CURRENT_SP'] };
    const response = await forgedPost(page.url, `/api/executions/${id}/decision`, { Cookie: alice.cookie, 'X-CSRF-Token': alice.csrf }, stale);
    expect(response.status).toBe(202);
    await expect.poll(async () => (await service.client.get(id))?.refused_decisions.map((refusal) => refusal.reason) ?? [], { timeout: 30_000 }).toEqual([expect.stringMatching(/other code/)]);
    expect((await service.client.get(id))?.state).toBe('awaitingApproval');
    expect(setup.epics.writes()).toEqual([]);
  });
});

describe('review page behind a reverse proxy (ui.base_path, ui.trusted_proxies)', () => {
  it('serves everything under the prefix, and marks the cookie Secure when the trusted proxy says https', async () => {
    expect(proxiedPage.url).toMatch(/\/pyexec$/);
    const origin = new URL(proxiedPage.url).origin;
    const bare = await rawRequest(origin, '/pyexec');
    expect(bare.status).toBeGreaterThanOrEqual(301);
    expect(bare.headers.location).toBe('/pyexec/');
    expect((await rawRequest(origin, '/pyexec/')).text).toContain('<title>pyexec review</title>');
    expect((await rawRequest(origin, '/')).status).toBe(404);
    expect((await rawRequest(origin, '/api/session')).status).toBe(404);

    const viaProxy = { Host: 'review.example.org', 'X-Forwarded-Proto': 'https', Origin: 'https://review.example.org' };
    const proxied = await forgedPost(origin, '/pyexec/api/login', viaProxy, { name: 'alice', password: 'alice-password' }, '127.0.0.1');
    expect(proxied.status).toBe(200);
    expect(String(proxied.headers['set-cookie'])).toMatch(/; Path=\/pyexec; HttpOnly; Secure; SameSite=Strict/);
    // The same header from an address that is no trusted proxy is not believed.
    const direct = await forgedPost(origin, '/pyexec/api/login', viaProxy, { name: 'alice', password: 'alice-password' }, '127.0.0.2');
    expect(direct.status).toBe(200);
    expect(String(direct.headers['set-cookie'])).not.toContain('Secure');
    // A forwarded host is checked like a Host header.
    const rebound = await forgedPost(origin, '/pyexec/api/login', { ...viaProxy, 'X-Forwarded-Host': 'rebind.attacker.example', Origin: 'https://rebind.attacker.example' }, { name: 'alice', password: 'alice-password' }, '127.0.0.1');
    expect(rebound.status).toBe(421);
  });

  it('works in Chromium under the prefix: login, list, detail with prefixed links, decision', async () => {
    const id = await pendingWrite(`behind the proxy ${Date.now()}`);
    const tab = await logIn(browser, `${proxiedPage.url}/`, 'alice', 'alice-password');
    await tab.click(`#executions tr[data-id="${id}"]`);
    await tab.waitForSelector('[data-testid=decide]');
    expect(await tab.getAttribute('[data-testid=notebook]', 'href')).toBe(`/pyexec/api/executions/${id}/notebook`);
    await tab.check('[data-testid=confirm-writes]');
    await tab.click('[data-testid=approve]');
    await tab.waitForSelector('[data-testid=state]:has-text("done: succeeded")', { timeout: 30_000 });
    expect(await tab.$eval('.figures img', (image) => image.getAttribute('src'))).toBe(`/pyexec/api/executions/${id}/figures/0`);
    expect((await tab.context().cookies())[0]).toMatchObject({ path: '/pyexec', httpOnly: true, sameSite: 'Strict' });
    await screenshot(tab, 'behind-proxy-prefix');
  });
});
