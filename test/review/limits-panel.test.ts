/**
 * With a channel limits file, the Approve panel shows each write's verdict
 * from the analysis (docs/limits.md) beside its PV and value, and which file
 * version it was checked against. Real service, real analyzer, Chromium.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PyexecService } from '../../actors/service.ts';
import { hashPassword } from '../../review/passwords.ts';
import type { ReviewServer } from '../../review/index.ts';
import { tempDir } from '../support/temp.ts';
import { startReviewFixture, type ReviewFixture } from './review-fixture.ts';
import { logIn, screenshot } from './page-helpers.ts';
import { untilState } from '../support/execution-events.ts';
import { configOf, serviceSetup } from '../support/service-config.ts';
import { readAndWrite } from './review-inputs.ts';

const folder = tempDir('pyexec-review-limits-');
let service: PyexecService;
let server: ReviewServer;
let browser: Browser;
let fixture: ReviewFixture | undefined;

beforeAll(async () => {
  const setup = serviceSetup(folder.path, { ui: { users: [{ name: 'alice', password_hash: await hashPassword('alice-password'), roles: ['approver'] }] } });
  const limitsFile = join(folder.path, 'channel_limits.json');
  writeFileSync(limitsFile, JSON.stringify({ _version: 'review-test', 'SR:MAG:QF1:CURRENT_SP': { min_value: 0, max_value: 100 } }));
  setup.configInput.control_system = { writes_enabled: true, limits: { file: limitsFile, policy: 'allow_unlisted' } };
  fixture = await startReviewFixture(configOf(setup));
  ({ service, server, browser } = fixture);
});

afterAll(async () => {
  await fixture?.stop();
  folder.remove();
});

it('shows each write with its limits verdict and the limits file version at the Approve button', async () => {
  const handle = await service.client.submit({ task_objective: 'scan with limits', approved_code: readAndWrite });
  await untilState(handle, 'awaitingApproval');
  const page = await logIn(browser, server.url, 'alice', 'alice-password');
  await page.click(`#executions tr[data-id="${handle.id}"]`);
  await page.waitForSelector('[data-testid=decide]');
  const rows = await page.$$eval('[data-testid=approve-write]', (items) => items.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '')));
  expect(rows.map((row) => [row[0], row[1]])).toEqual([['SR:MAG:QF1:CURRENT_SP', '12.5'], ['SR:MAG:QF2:CURRENT_SP', 'computed at run time']]);
  expect(rows[0]?.[4]).toMatch(/^pass/);
  expect(rows[1]?.[4]).toMatch(/^(run_time|pass)/);
  expect(await page.textContent('[data-testid=limits-file]')).toMatch(/^Checked against the limits file .*channel_limits\.json \(version [0-9a-f]{12}\)$/);
  await screenshot(page, 'approve-panel-limits');
  await page.fill('[data-testid=reason]', 'not now');
  await page.click('[data-testid=reject]');
  await page.waitForSelector('[data-testid=state]:has-text("done: rejected")', { timeout: 30_000 });
});
