/**
 * The review page in a real headless Chromium against the real service
 * (embedded default, real Python, a fake epics module), as operators use it:
 * an approver reads at the Approve button what approving will do (mode, each
 * PV written with its value, the number of writes, what happens next),
 * confirms the PVs by name, approves, and watches it finish live; writes and
 * reads are marked apart with a legend, write findings first; a reason being
 * typed survives a live update; the layout holds at 1440 px; finished
 * executions are found again in the history; a viewer sees no buttons.
 * Screenshots are kept in test/review/artifacts/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PyexecService } from '../../actors/service.ts';
import { hashPassword } from '../../review/passwords.ts';
import type { ReviewServer } from '../../review/index.ts';
import { createKeyFile } from '../../adapters/signing/decision-keys.ts';
import { tempDir } from '../support/temp.ts';
import { startReviewFixture, type ReviewFixture } from './review-fixture.ts';
import { credentialsOf, forgedPost, logIn, screenshot, type BrowserGlobals } from './page-helpers.ts';
import { untilState } from '../support/execution-events.ts';
import { configOf, serviceSetup, type ServiceSetup } from '../support/service-config.ts';
import { readAndWrite, writeWithFigure } from './review-inputs.ts';

const folder = tempDir('pyexec-review-page-');
let setup: ServiceSetup;
let service: PyexecService;
let server: ReviewServer;
let browser: Browser;
let fixture: ReviewFixture | undefined;

beforeAll(async () => {
  const keyFile = join(folder.path, 'review-page.seed');
  const { publicKey } = createKeyFile(keyFile);
  setup = serviceSetup(folder.path, {
    approval: { require_signed_decisions: true, approvers: [publicKey] },
    ui: {
      signing_key_file: keyFile,
      users: [
        { name: 'alice', password_hash: await hashPassword('alice-password'), roles: ['approver'] },
        { name: 'bob', password_hash: await hashPassword('bob-password'), roles: ['approver'] },
        { name: 'victor', password_hash: await hashPassword('victor-password'), roles: ['viewer'] },
      ],
    },
  });
  fixture = await startReviewFixture(configOf(setup));
  ({ service, server, browser } = fixture);
});

afterAll(async () => {
  await fixture?.stop();
  folder.remove();
});

async function pending(code: string, task = `set the quadrupole ${Date.now()}`): Promise<string> {
  const handle = await service.client.submit({ task_objective: task, approved_code: code });
  await untilState(handle, 'awaitingApproval');
  return handle.id;
}

async function open(page: Page, id: string): Promise<void> {
  await page.click(`#executions tr[data-id="${id}"]`);
  await page.waitForSelector(`[data-testid=detail] dd.id:has-text("${id}")`);
}

async function auditEvents(id: string): Promise<string[]> {
  const view = await service.client.get(id);
  return (await service.supervisor.audit.read(view?.folder ?? '')).map((record) => String(record.event));
}

describe('review page: operator', () => {
  it('says at the Approve button what approving will do, asks to confirm the PVs by name, and approves; the result arrives live', async () => {
    const id = await pending(writeWithFigure);
    const page = await logIn(browser, server.url, 'alice', 'alice-password');
    await open(page, id);
    await page.waitForSelector('[data-testid=decide]');

    expect(await page.textContent('[data-testid=state]')).toBe('awaitingApproval');
    expect(await page.textContent('[data-testid=approve-mode]')).toBe('write_access kernel python3; control-system writes allowed');
    expect(await page.textContent('[data-testid=write-count]')).toBe('1 write to the control system');
    const writes = await page.$$eval('[data-testid=approve-write]', (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)));
    expect(writes).toEqual([['SR:MAG:QF1:CURRENT_SP', '12.5', 'epics.caput', '4']]);
    expect(await page.$('[data-testid=limits-file]')).toBeNull();
    const next = await page.textContent('[data-testid=next]');
    expect(next).toContain('runs once in write_access mode (kernel python3)');
    expect(next).toContain('makes the 1 write listed above');
    expect(next).toContain('Reject: the execution ends "rejected" and nothing runs');
    expect(await page.textContent('[data-testid=confirm-label]')).toBe(' I confirm writing SR:MAG:QF1:CURRENT_SP ← 12.5');
    expect(await page.textContent('[data-testid=approve]')).toBe('Approve 1 write');
    expect(await page.isDisabled('[data-testid=approve]')).toBe(true);
    await screenshot(page, 'approve-panel-write');
    expect(await page.textContent('[data-testid=reasoning]')).toContain('A human must approve');
    expect(await page.getAttribute('[data-testid=notebook]', 'href')).toBe(`/api/executions/${id}/notebook`);
    const highlighted = await page.$$eval('[data-testid=code] li.highlight', (items) => items.map((item) => [item.getAttribute('data-line'), item.getAttribute('data-kind'), item.textContent]));
    expect(highlighted).toEqual([['4', 'write', 'caput("SR:MAG:QF1:CURRENT_SP", 12.5)']]);
    await screenshot(page, 'approve-panel-write');

    // A marker on the window survives only if the page is never reloaded.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await page.fill('[data-testid=reason]', 'scan approved for shift');
    await page.check('[data-testid=confirm-writes]');
    await page.click('[data-testid=approve]');
    await page.waitForSelector('[data-testid=state]:has-text("done: succeeded")', { timeout: 30_000 });
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await page.$('[data-testid=approve]')).toBeNull();
    expect(await page.textContent('[data-testid=decision]')).toBe('approve by alice: scan approved for shift');
    // The list reloads on the same event as the detail, by a request of its own: it may draw a moment later.
    await expect.poll(() => page.textContent(`#executions tr[data-id="${id}"]`)).toContain('done: succeeded');
    expect(await page.textContent('[data-testid=results]')).toContain('SR:MAG:QF1:CURRENT_SP');
    expect(await page.textContent('[data-testid=audit-status]')).toMatch(/hash chain intact/);
    expect(await page.textContent('[data-testid=audit]')).toContain('decision_counted');
    expect(setup.epics.writes()).toContain('caput SR:MAG:QF1:CURRENT_SP 12.5');

    const [figure] = await Promise.all([page.waitForEvent('popup'), page.click('[data-testid=figure-link]')]);
    await figure.waitForLoadState();
    expect(await figure.evaluate('document.contentType')).toBe('image/png');
    const width = await page.$eval('.figures img', (image) => (image as unknown as { naturalWidth: number }).naturalWidth);
    expect(width).toBeGreaterThan(100);
    await screenshot(page, 'approved-and-finished');

    // Signed by the server's key on alice's behalf: the audit keeps both.
    const view = await service.client.get(id);
    const received = (await service.supervisor.audit.read(view?.folder ?? '')).find((record) => record.event === 'decision_received');
    expect(received).toMatchObject({ approver: 'alice', verdict: 'approve' });
    expect(String(received?.signed_by)).toMatch(/^U[A-Z2-7]{55}$/);
  });

  it('marks writes and reads apart with a legend, lists write findings and accesses first, and a computed value says so', async () => {
    const id = await pending(readAndWrite);
    const page = await logIn(browser, server.url, 'alice', 'alice-password');
    await open(page, id);
    await page.waitForSelector('[data-testid=decide]');

    const kinds = await page.$$eval('[data-testid=code] li.highlight', (items) => items.map((item) => [item.getAttribute('data-line'), item.getAttribute('data-kind')]));
    expect(kinds).toEqual([['3', 'read'], ['4', 'write'], ['5', 'write']]);
    const background = (line: number) => page.$eval(`[data-testid=code] li[data-line="${line}"]`, (item) => (globalThis as unknown as BrowserGlobals).getComputedStyle(item).backgroundColor);
    expect(await background(3)).not.toBe(await background(4));
    expect(await background(4)).toBe(await background(5));
    expect(await page.$eval('.swatch.write', (swatch) => (globalThis as unknown as BrowserGlobals).getComputedStyle(swatch).backgroundColor)).toBe(await background(4));
    expect(await page.$eval('.swatch.read', (swatch) => (globalThis as unknown as BrowserGlobals).getComputedStyle(swatch).backgroundColor)).toBe(await background(3));
    expect(await page.textContent('[data-testid=legend]')).toMatch(/writes a PV.*reads a PV/);

    const findings = await page.$$eval('[data-testid=findings] li', (items) => items.map((item) => item.textContent ?? ''));
    const firstOther = findings.findIndex((text) => !/^line [45]:/.test(text));
    expect(findings.slice(0, 2).every((text) => /^line [45]:/.test(text))).toBe(true);
    expect(findings.slice(firstOther).some((text) => /^line [45]:/.test(text))).toBe(false);
    const accesses = await page.$$eval('[data-testid=accesses] tbody tr', (rows) => rows.map((row) => row.getAttribute('data-kind')));
    expect(accesses).toEqual(['write', 'write', 'read']);

    const writes = await page.$$eval('[data-testid=approve-write]', (rows) => rows.map((row) => [...row.querySelectorAll('td')].slice(0, 2).map((cell) => cell.textContent)));
    expect(writes).toEqual([['SR:MAG:QF1:CURRENT_SP', '12.5'], ['SR:MAG:QF2:CURRENT_SP', 'computed at run time']]);
    expect(await page.textContent('[data-testid=write-count]')).toBe('2 writes to the control system');
    expect(await page.textContent('[data-testid=confirm-label]')).toBe(' I confirm writing SR:MAG:QF1:CURRENT_SP ← 12.5, SR:MAG:QF2:CURRENT_SP ← computed at run time');
    await screenshot(page, 'writes-and-reads');

    // An approval that does not confirm exactly these PVs is refused by the server, whatever the page did.
    const { cookie, csrf } = await credentialsOf(page);
    const view = await service.client.get(id);
    const body = { verdict: 'approve', approval_id: view?.approval?.approval_id, code_sha256: view?.code_sha256 };
    for (const confirmed of [undefined, ['SR:MAG:QF1:CURRENT_SP']]) {
      const refused = await forgedPost(server.url, `/api/executions/${id}/decision`, { Cookie: cookie, 'X-CSRF-Token': csrf }, { ...body, ...(confirmed ? { confirmed_writes: confirmed } : {}) });
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('confirmed_writes');
    }
    expect(await auditEvents(id)).not.toContain('decision_received');
    await page.click('[data-testid=reject]');
    // The refusal comes back from the server: the message appears after the round trip.
    await expect.poll(() => page.textContent('[data-testid=decision-error]')).toContain('reason');
    await page.fill('[data-testid=reason]', 'QF2 setpoint must be given');
    await page.click('[data-testid=reject]');
    await page.waitForSelector('[data-testid=state]:has-text("done: rejected")', { timeout: 30_000 });
  });

  it('keeps the reason being typed, and its focus, through live updates', async () => {
    const id = await pending(writeWithFigure);
    const page = await logIn(browser, server.url, 'alice', 'alice-password');
    await open(page, id);
    await page.click('[data-testid=reason]');
    await page.keyboard.type('checked the setpoint ');

    // A live update of this execution while typing: an (unsigned, so refused) decision from elsewhere.
    const view = await service.client.get(id);
    await service.client.publishDecision({
      execution_id: id,
      approval_id: view?.approval?.approval_id ?? '',
      code_sha256: view?.code_sha256 ?? '',
      verdict: 'approve',
      reason: 'from another console',
      approver: 'mallory',
      decided_at: new Date().toISOString(),
    });
    await page.waitForSelector('[data-testid=refused]:has-text("mallory")');
    await page.keyboard.type('against the log book');
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.activeElement?.getAttribute('data-testid'))).toBe('reason');
    expect(await page.inputValue('[data-testid=reason]')).toBe('checked the setpoint against the log book');
    await page.check('[data-testid=confirm-writes]');
    await page.click('[data-testid=approve]');
    await page.waitForSelector('[data-testid=decision]:has-text("checked the setpoint against the log book")', { timeout: 30_000 });
  });

  it('at 1440 px shows every list column, keeps timestamps on one line, and wraps long code inside its box', async () => {
    const longLine = `results = {"note": "${'a very long comment about the quadrupole scan, '.repeat(12)}"}`;
    const id = await pending(`${writeWithFigure}${longLine}\n`, `a task whose objective is long enough to wrap in the list ${Date.now()}`);
    const page = await logIn(browser, server.url, 'alice', 'alice-password', { width: 1440, height: 900 });
    await open(page, id);

    const list = await page.$eval('#list-section', (section) => {
      const box = section.getBoundingClientRect();
      const headers = [...section.querySelectorAll('th')].map((th) => th.getBoundingClientRect().right);
      return { right: box.right, headers, overflow: section.scrollWidth - section.clientWidth };
    });
    expect(list.headers).toHaveLength(5);
    for (const right of list.headers) expect(right).toBeLessThanOrEqual(list.right);
    expect(list.overflow).toBeLessThanOrEqual(0);

    const lines = await page.$$eval('td.time', (cells) =>
      cells.filter((cell) => cell.textContent).map((cell) => {
        const range = (globalThis as unknown as BrowserGlobals).document.createRange();
        range.selectNodeContents(cell);
        return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
      }),
    );
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((count) => count === 1)).toBe(true);

    const code = await page.$eval('[data-testid=code]', (box) => ({ overflow: box.scrollWidth - box.clientWidth, right: box.getBoundingClientRect().right, detailRight: (globalThis as unknown as BrowserGlobals).document.getElementById('detail')?.getBoundingClientRect().right ?? 0 }));
    expect(code.overflow).toBeLessThanOrEqual(0);
    expect(code.right).toBeLessThanOrEqual(code.detailRight);
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);
    await screenshot(page, 'layout-1440');
  });

  it('finds finished executions by id, task words, outcome and who decided, with their audit trail and notebook', async () => {
    const tag = `hist${Date.now()}`;
    const decide = async (who: string, id: string, verdict: 'approve' | 'reject', reason: string) => {
      const { cookie, csrf } = await credentialsOf(await logIn(browser, server.url, who, `${who}-password`));
      const view = await service.client.get(id);
      const body = { verdict, reason, approval_id: view?.approval?.approval_id, code_sha256: view?.code_sha256, confirmed_writes: verdict === 'approve' ? ['SR:MAG:QF1:CURRENT_SP'] : undefined };
      expect((await forgedPost(server.url, `/api/executions/${id}/decision`, { Cookie: cookie, 'X-CSRF-Token': csrf }, body)).status).toBe(202);
    };
    const approved = await pending(writeWithFigure, `${tag} trim the corrector`);
    await decide('alice', approved, 'approve', 'fine');
    const outcomeOf = async (id: string) => (await service.client.get(id))?.outcome;
    // History lists the most recently updated first: the approved one must have
    // finished running before the second is decided, or the order is a race.
    await expect.poll(() => outcomeOf(approved), { timeout: 30_000 }).toBe('succeeded');
    const rejected = await pending(writeWithFigure, `${tag} ramp the booster`);
    await decide('bob', rejected, 'reject', 'not during injection');
    await expect.poll(() => outcomeOf(rejected), { timeout: 30_000 }).toBe('rejected');

    const page = await logIn(browser, server.url, 'victor', 'victor-password');
    type SearchFields = { q?: string; outcome?: string; decided_by?: string };
    const submitSearch = async (fields: SearchFields) => {
      await page.fill('#history-search input[name=q]', fields.q ?? '');
      await page.selectOption('#history-search select[name=outcome]', fields.outcome ?? '');
      await page.fill('#history-search input[name=decided_by]', fields.decided_by ?? '');
      await page.click('#history-search button[type=submit]');
    };
    const shownRows = () => page.$$eval('[data-testid=history-row]', (rows) => rows.map((row) => row.getAttribute('data-id') ?? ''));
    const search = async (fields: SearchFields): Promise<string[]> => {
      // The submit handler marks the table busy before it fetches; the rows are
      // the new search's only once it is no longer busy (the response arriving
      // is not enough: the page renders after it).
      await submitSearch(fields);
      await page.waitForSelector('#history[aria-busy="false"]');
      return shownRows();
    };
    expect(await search({ q: tag })).toEqual([rejected, approved]);
    expect(await search({ q: `booster ${tag}` })).toEqual([rejected]);
    expect(await search({ q: approved })).toEqual([approved]);
    expect(await search({ q: `${approved.slice(0, 8)} corrector` })).toEqual([approved]);
    expect(await search({ q: tag, outcome: 'rejected' })).toEqual([rejected]);
    expect(await search({ q: tag, decided_by: 'ALICE' })).toEqual([approved]);
    expect(await search({ decided_by: 'bob' })).toEqual([rejected]);
    expect(await search({ q: tag, outcome: 'expired' })).toEqual([]);
    expect(await page.isVisible('#history-empty')).toBe(true);

    // Two searches overlap and the first one's answer comes last: the page shows the second's rows, and keeps them.
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    await page.route(
      (url) => url.pathname.endsWith('/api/history') && url.searchParams.get('q') === tag && !url.searchParams.has('outcome'),
      async (route) => {
        await firstHeld;
        await route.continue();
      },
    );
    await submitSearch({ q: tag });
    expect(await search({ q: `booster ${tag}` })).toEqual([rejected]);
    const lateAnswer = page.waitForResponse((response) => new URL(response.url()).searchParams.get('q') === tag);
    releaseFirst();
    await lateAnswer;
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200))); // time for a late render, were there one
    expect(await shownRows()).toEqual([rejected]);
    await page.unrouteAll();

    await search({ q: tag });
    await page.click(`#history tr[data-id="${approved}"]`);
    await page.waitForSelector('[data-testid=state]:has-text("done: succeeded")');
    expect(await page.getAttribute('[data-testid=notebook]', 'href')).toBe(`/api/executions/${approved}/notebook`);
    expect(await page.textContent('[data-testid=audit-status]')).toMatch(/hash chain intact/);
    expect(await page.textContent('[data-testid=audit]')).toContain('decision_counted');
    const notebook = await page.evaluate(async (url) => (await fetch(url)).headers.get('content-disposition'), `/api/executions/${approved}/notebook`);
    expect(notebook).toContain(`${approved}-`);
    await screenshot(page, 'history-search');
  });

  it('a viewer sees no buttons, and forged decisions are refused and change nothing', async () => {
    const id = await pending(writeWithFigure);
    const writesBefore = setup.epics.writes().length;
    const page = await logIn(browser, server.url, 'victor', 'victor-password');
    await open(page, id);
    await page.waitForSelector('[data-testid=code] li.highlight');
    expect(await page.$('[data-testid=decide]')).toBeNull();
    expect(await page.$('[data-testid=approve]')).toBeNull();

    const view = await service.client.get(id);
    const body = {
      verdict: 'approve',
      reason: 'forged',
      approval_id: view?.approval?.approval_id,
      code_sha256: view?.code_sha256,
      confirmed_writes: ['SR:MAG:QF1:CURRENT_SP'],
    };
    // The viewer's own session and CSRF token, from inside the page: the role is checked on the server.
    const asViewer = await page.evaluate(async (decision) => {
      const session = (await (await fetch('api/session')).json()) as { csrf_token: string };
      const response = await fetch(`api/executions/${decision.id}/decision`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token },
        body: JSON.stringify(decision.body),
      });
      return { status: response.status, body: (await response.json()) as { error: string } };
    }, { id, body });
    expect(asViewer).toEqual({ status: 403, body: { error: 'victor is not an approver' } });

    // An approver's session cookie without its CSRF token, or from another origin.
    const alice = await logIn(browser, server.url, 'alice', 'alice-password');
    const { cookie, csrf } = await credentialsOf(alice);
    const path = `/api/executions/${id}/decision`;
    const noToken = await forgedPost(server.url, path, { Cookie: cookie }, body);
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain('CSRF');
    const otherOrigin = await forgedPost(server.url, path, { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: 'http://evil.example' }, body);
    expect(otherOrigin.status).toBe(403);
    expect(otherOrigin.text).toContain('cross-origin');
    const crossSite = await forgedPost(server.url, path, { Cookie: cookie, 'X-CSRF-Token': csrf, 'Sec-Fetch-Site': 'cross-site' }, body);
    expect(crossSite.status).toBe(403);
    const noSession = await forgedPost(server.url, path, { 'X-CSRF-Token': csrf }, body);
    expect(noSession.status).toBe(401);
    const formPost = await forgedPost(server.url, path, { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded' }, body);
    expect(formPost.status).toBe(415);

    const after = await service.client.get(id);
    expect(after?.state).toBe('awaitingApproval');
    expect(after?.decision).toBeNull();
    expect(await auditEvents(id)).not.toContain('decision_received');
    expect(setup.epics.writes()).toHaveLength(writesBefore);

    // The same cookie and token from the page itself do count: the refusals above were the checks, not a broken path.
    const accepted = await forgedPost(server.url, path, { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: new URL(server.url).origin }, { ...body, reason: 'checked' });
    expect(accepted.status, accepted.text).toBe(202);
    await expect.poll(async () => (await service.client.get(id))?.outcome, { timeout: 30_000 }).toBe('succeeded');

    // A replay of that decision, and a decision for the code hash of other code, are refused by the supervisor and recorded.
    const replay = await forgedPost(server.url, path, { Cookie: cookie, 'X-CSRF-Token': csrf }, { ...body, reason: 'again' });
    expect(replay.status).toBe(202);
    await expect.poll(async () => (await auditEvents(id)).filter((event) => event === 'decision_refused').length, { timeout: 30_000 }).toBe(1);
    expect(setup.epics.writes()).toHaveLength(writesBefore + 1);
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
