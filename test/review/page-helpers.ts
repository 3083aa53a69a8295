/**
 * Driving the review page as an operator (Chromium) and as an attacker (raw
 * HTTP from outside the browser: any header, any cookie, any client
 * address on the loopback range), and keeping screenshots as test artifacts
 * in test/review/artifacts/ (ignored by git; the path is printed).
 */
import { mkdirSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

export const artifactsDir = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  process.stdout.write(`review page screenshot: ${path}\n`);
  return path;
}

export async function logIn(browser: Browser, url: string, name: string, password: string, viewport = { width: 1440, height: 900 }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  // A script error in the page fails nothing by itself: print it next to the test that met it.
  page.on('pageerror', (error) => process.stderr.write(`review page script error: ${error.message}\n`));
  await page.goto(url);
  await page.fill('[data-testid=login] input[name=name]', name);
  await page.fill('[data-testid=login] input[name=password]', password);
  await page.click('[data-testid=login] button[type=submit]');
  await page.waitForSelector(`[data-testid=who]:has-text("${name}")`);
  return page;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The client address to send from (127.0.0.2, … are loopback addresses too). */
  localAddress?: string;
}

/** One HTTP request made outside any browser, exactly as given (the path is not normalised or re-encoded). */
export function rawRequest(base: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    let answered = false;
    let failure: Error | null = null;
    const request = httpRequest(
      { host: hostname, port, path, method: options.method ?? 'GET', headers: options.headers, localAddress: options.localAddress },
      (response) => {
        answered = true;
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
      },
    );
    // The server may answer (413) and close before a large body is all sent (EPIPE, ECONNRESET): the answer is what counts.
    request.on('error', (error) => (failure = error));
    request.on('close', () => answered || reject(failure ?? new Error(`${path}: connection closed without an answer`)));
    request.end(options.body);
  });
}

/** A JSON POST made outside the page, as an attacker would: any headers, any cookie. */
export function forgedPost(base: string, path: string, headers: Record<string, string>, body: unknown, localAddress?: string): Promise<RawResponse> {
  return rawRequest(base, path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body), localAddress });
}

/** The page's session cookie and CSRF token, taken from a logged-in browser. */
export async function credentialsOf(page: Page): Promise<{ cookie: string; csrf: string }> {
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const csrf = await page.evaluate(async () => ((await (await fetch('api/session')).json()) as { csrf_token: string }).csrf_token);
  return { cookie, csrf };
}

/** The browser's globals a test reads inside page.evaluate (this project compiles without the DOM library). */
export interface BrowserGlobals {
  getComputedStyle(element: unknown): { backgroundColor: string };
  document: {
    activeElement: { getAttribute(name: string): string | null } | null;
    documentElement: { scrollWidth: number };
    createRange(): { selectNodeContents(node: unknown): void; getClientRects(): Iterable<{ top: number }> };
    getElementById(id: string): { getBoundingClientRect(): { right: number } } | null;
  };
}

/**
 * A 10 MB upload over a raw socket, announced by its Content-Length: nothing
 * of the body is sent before the answer, so the server must refuse on the
 * header alone (a client that writes on while the server closes loses the
 * answer to the connection reset). Resolves with the answer's status code.
 */
export function hugeUpload(base: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (status) {
        resolve(Number(status[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`${path}: closed without an answer`)));
    socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}Content-Length: ${10 * 1024 * 1024}\r\n\r\n`);
  });
}
