/**
 * /metrics (Prometheus text format), /healthz (the process answers) and
 * /readyz (every readiness check passes: bus, store, and for executors a
 * kernel) on one port, for Prometheus and for systemd/Kubernetes probes.
 * Loopback by default: metrics name the deployment's modes and rules.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PyexecMetrics } from './metrics.ts';

/** A named readiness check: resolves when ready, rejects (or times out) with the reason when not. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface EndpointServer {
  readonly url: string;
  close(): Promise<void>;
}

const checkTimeoutMs = 2_000;

export async function serveEndpoints(metrics: PyexecMetrics, checks: readonly ReadinessCheck[], host: string, port: number): Promise<EndpointServer> {
  const server = createServer((request, response) => void answer(request, response, metrics, checks));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${shownHost}:${address.port}`, close: () => closeServer(server) };
}

async function answer(request: IncomingMessage, response: ServerResponse, metrics: PyexecMetrics, checks: readonly ReadinessCheck[]): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain', 'only GET and HEAD\n');
  if (path === '/metrics') {
    const { contentType, body } = await metrics.exposition();
    return send(response, 200, contentType, body);
  }
  if (path === '/healthz') return send(response, 200, 'text/plain', 'ok\n');
  if (path === '/readyz') {
    const failures = await failingChecks(checks);
    // The checks are named so a probe's reader sees what was checked (an executor's include its kernel).
    const body = JSON.stringify({ ready: failures.length === 0, checks: checks.map((check) => check.name), failures }) + '\n';
    return send(response, failures.length === 0 ? 200 : 503, 'application/json', body);
  }
  send(response, 404, 'text/plain', 'not found: try /metrics, /healthz or /readyz\n');
}

async function failingChecks(checks: readonly ReadinessCheck[]): Promise<Array<{ check: string; reason: string }>> {
  const outcomes = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await withTimeout(check(), checkTimeoutMs, `${name} did not answer within ${checkTimeoutMs} ms`);
        return null;
      } catch (error) {
        return { check: name, reason: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  return outcomes.filter((outcome) => outcome !== null);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
