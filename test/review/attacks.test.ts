/**
 * Attacks on the review page's HTTP server, made as an attacker would, from
 * outside: `pyexec serve --ui` runs as its own process and is judged by its
 * answers, its log and its audit file. DNS rebinding (a foreign Host), a
 * malformed URL, a 10 MB body, and password guessing — for one user, for
 * many users from one address, and for a user that does not exist, which
 * must look exactly like a real one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChain } from '../../adapters/audit/hash-chain.ts';
import { hashPassword } from '../../review/passwords.ts';
import { tempDir } from '../support/temp.ts';
import { forgedPost, hugeUpload, rawRequest, type RawResponse } from './page-helpers.ts';
import { startServeUi, type ServeProcess } from './serve-process.ts';

const folder = tempDir('pyexec-review-attacks-');
let serve: ServeProcess;

beforeAll(async () => {
  const users = await Promise.all(
    ['alice', 'bob', 'carol', 'dave'].map(async (name) => ({ name, password_hash: await hashPassword(`${name}-password`), roles: ['approver'] })),
  );
  serve = await startServeUi(folder.path, { users, secure_cookies: true });
});

afterAll(async () => {
  await serve?.stop();
  folder.remove();
});

const login = (name: string, password: string, from: string, headers: Record<string, string> = {}) => forgedPost(serve.url, '/api/login', headers, { name, password }, from);

/** The answer without what differs between any two answers (date, timing): what an attacker could compare. */
const shape = (response: RawResponse) => ({
  status: response.status,
  body: response.text,
  headers: Object.keys(response.headers).filter((name) => !['date', 'keep-alive'].includes(name)).sort(),
  retryAfter: response.headers['retry-after'] ?? null,
});

function securityRecords(): Array<Record<string, unknown>> {
  const text = readFileSync(join(serve.executionsRoot, 'review-page-security', 'audit.jsonl'), 'utf8');
  const chain = readChain(text);
  expect(chain.problems).toEqual([]);
  return chain.records;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('review page under attack (a separate pyexec serve --ui process)', () => {
  it('answers only to its own host names: a rebound DNS name gets no page and no login', async () => {
    const port = new URL(serve.url).port;
    const rebound = { Host: `rebind.attacker.example:${port}`, Origin: `http://rebind.attacker.example:${port}` };
    const page = await rawRequest(serve.url, '/', { headers: rebound });
    expect(page.status).toBe(421);
    expect(page.text).not.toContain('<html');
    const attempt = await login('alice', 'alice-password', '127.0.0.1', rebound);
    expect(attempt.status).toBe(421);
    expect(attempt.headers['set-cookie']).toBeUndefined();
    // The names it is known by: the loopback names and its listening address.
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) expect((await rawRequest(serve.url, '/', { headers: { Host: host } })).status).toBe(200);
    const allowed = await login('dave', 'dave-password', '127.0.0.1', { Host: `localhost:${port}`, Origin: `http://localhost:${port}` });
    expect(allowed.status).toBe(200);
    expect(String(allowed.headers['set-cookie'])).toMatch(/pyexec_review=.+; Path=\/; HttpOnly; Secure; SameSite=Strict/);
  });

  it('answers a malformed URL with 400 and logs no stack trace for it', async () => {
    const before = serve.log().length;
    for (const path of ['/api/executions/%E0%A4%A', '/api/executions/%', '/%E0%A4%A', '/api/executions/%E0%A4%A/decision']) {
      const response = await rawRequest(serve.url, path);
      expect(response.status, path).toBe(400);
      expect(JSON.parse(response.text)).toEqual({ error: 'malformed URL' });
      expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    }
    expect((await rawRequest(serve.url, '/api/executions/%E0%A4%A', { method: 'POST' })).status).toBe(400);
    // The server is fine, and its log (level info) holds no stack and no error for any of them.
    expect((await rawRequest(serve.url, '/api/session')).status).toBe(401);
    const log = serve.log().slice(before);
    expect(log).not.toMatch(/"stack"|"level":50|\n\s+at /);
  });

  it('serves no file outside the page’s own static files, however the path is encoded', async () => {
    for (const path of ['/..%2F..%2Fpackage.json', '/js/..%2F..%2Fapp.ts', '/%2e%2e/%2e%2e/package.json', '/js/%2e%2e/%2e%2e/%2e%2e/package.json', '/static/js/main.js', '/.gitignore']) {
      const response = await rawRequest(serve.url, path);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.text, path).not.toMatch(/"dependencies"|import |fastify/);
    }
    expect((await rawRequest(serve.url, '/js/main.js')).status).toBe(200);
  });

  it('refuses a 10 MB body with 413 on its announced length, before reading it, and keeps serving', async () => {
    expect(await hugeUpload(serve.url, '/api/login')).toBe(413);
    const dave = await login('dave', 'dave-password', '127.0.0.1');
    const cookie = String(dave.headers['set-cookie']).split(';')[0] ?? '';
    const csrf = (JSON.parse(dave.text) as { csrf_token: string }).csrf_token;
    expect(await hugeUpload(serve.url, '/api/executions/abcdefgh-1234/decision', { Cookie: cookie, 'X-CSRF-Token': csrf })).toBe(413);
    expect((await rawRequest(serve.url, '/api/session', { headers: { Cookie: cookie } })).status).toBe(200);
  });

  it('locks a user after a few wrong passwords: 200 guesses check only a handful, and the right password right after is refused', async () => {
    const answers: number[] = [];
    for (let guess = 0; guess < 200; guess++) answers.push((await login('alice', `guess-${guess}`, '127.0.0.2')).status);
    const checked = answers.filter((status) => status === 401).length;
    expect(answers.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(answers[5]).toBe(429);
    // Each lock doubles: the few guesses that land after a lock ended cannot add up to many.
    expect(checked).toBeLessThanOrEqual(10);
    // Right after, the right password is refused too (by the name's lock, or past 120 a minute by the address's cap).
    const right = await login('alice', 'alice-password', '127.0.0.2');
    expect(right.status).toBe(429);
    expect(right.headers['set-cookie']).toBeUndefined();
    const lockouts = securityRecords().filter((record) => record.event === 'login_lockout' && record.user === 'alice' && record.scope === 'user');
    expect(lockouts.length).toBeGreaterThanOrEqual(1);
    expect(lockouts[0]).toMatchObject({ address: '127.0.0.2', failures: 5, locked_for_ms: 1000 });
  });

  it('answers an unknown user exactly as a wrong password, locks included', async () => {
    const sequence = async (name: string, from: string) => {
      const shapes: Array<ReturnType<typeof shape>> = [];
      for (let guess = 0; guess < 6; guess++) shapes.push(shape(await login(name, `guess-${guess}`, from)));
      return shapes;
    };
    const real = await sequence('bob', '127.0.0.4');
    const unknown = await sequence('nobody-here', '127.0.0.5');
    expect(unknown).toEqual(real);
    expect(real[0]).toMatchObject({ status: 401, body: '{"error":"unknown user or wrong password"}' });
    expect(real[5]).toMatchObject({ status: 429, retryAfter: '1' });
  });

  it('delays grow with each failure after the lock, and a lock ends: the right password then logs in', async () => {
    const retryAfter: string[] = [];
    for (let guess = 0; guess < 5; guess++) expect((await login('carol', `guess-${guess}`, '127.0.0.6')).status).toBe(401);
    for (let round = 0; round < 3; round++) {
      const locked = await login('carol', 'still-guessing', '127.0.0.6');
      expect(locked.status).toBe(429);
      const seconds = Number(locked.headers['retry-after']);
      retryAfter.push(String(seconds));
      await sleep(seconds * 1000 + 50);
      if (round < 2) expect((await login('carol', `guess-after-${round}`, '127.0.0.6')).status).toBe(401);
    }
    expect(retryAfter).toEqual(['1', '2', '4']);
    const right = await login('carol', 'carol-password', '127.0.0.6');
    expect(right.status).toBe(200);
    const lockouts = securityRecords().filter((record) => record.event === 'login_lockout' && record.user === 'carol' && record.scope === 'user');
    expect(lockouts.map((record) => record.locked_for_ms)).toEqual([1000, 2000, 4000]);
  });

  it('locks an address that tries many names, whatever the names', async () => {
    for (let index = 0; index < 20; index++) expect((await login(`user${index}`, 'a-guess', '127.0.0.7')).status).toBe(401);
    const bobFromThere = await login('dave', 'dave-password', '127.0.0.7');
    expect(bobFromThere.status).toBe(429);
    expect((await login('dave', 'dave-password', '127.0.0.8')).status).toBe(200);
    const lockout = securityRecords().find((record) => record.event === 'login_lockout' && record.scope === 'address' && record.address === '127.0.0.7');
    expect(lockout).toMatchObject({ failures: 20, locked_for_ms: 1000 });
  });
});
