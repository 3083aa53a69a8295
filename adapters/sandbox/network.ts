/**
 * Network policy of a mode: `none` (the sandbox's network namespace has only
 * loopback) or an allow-list of TCP endpoints. The namespace is never
 * opened: for each endpoint a relay outside the sandbox listens on a Unix
 * socket bound into it and connects only to that endpoint; inside, a
 * forwarder (python/pyexec_forward.py) listens on a loopback address and
 * pipes to the socket. The code may tamper with the forwarder without gain:
 * the relay outside decides where bytes go.
 *
 * Host names map to 127.77.0.N through the sandbox's /etc/hosts; a loopback
 * literal (or `localhost`) is served on that same address inside.
 */
import { chmodSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { endpointPattern, endpointProblem } from '../../config/network-endpoint.ts';
import type { Logger } from '../../logging/logger.ts';

export type NetworkPolicy = 'none' | readonly string[];

export interface Endpoint {
  host: string;
  port: number;
}

/** One allowed endpoint as the sandbox sees it. */
export interface Forward {
  endpoint: Endpoint;
  /** Address the forwarder listens on inside the sandbox. */
  listenHost: string;
  /** Socket file name in the sandbox's net folder. */
  socketName: string;
}

export function parseEndpoint(text: string): Endpoint {
  const problem = endpointProblem(text);
  const match = endpointPattern.exec(text);
  if (problem !== null || !match) throw new TypeError(`network endpoint "${text}": ${problem ?? 'invalid'}`);
  return { host: match[1] ?? '', port: Number(match[2]) };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.');
}

export function planForwards(policy: NetworkPolicy): Forward[] {
  if (policy === 'none') return [];
  const names = new Map<string, string>();
  return policy.map((text, index) => {
    const endpoint = parseEndpoint(text);
    let listenHost = endpoint.host === 'localhost' ? '127.0.0.1' : endpoint.host;
    if (!isLoopback(endpoint.host)) {
      listenHost = names.get(endpoint.host) ?? `127.77.0.${names.size + 1}`;
      names.set(endpoint.host, listenHost);
    }
    return { endpoint, listenHost, socketName: `${index}.sock` };
  });
}

/** The sandbox's /etc/hosts: loopback plus one line per allowed host name. */
export function hostsFile(forwards: readonly Forward[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost'];
  const seen = new Set<string>();
  for (const { endpoint, listenHost } of forwards) {
    if (isLoopback(endpoint.host) || seen.has(endpoint.host)) continue;
    seen.add(endpoint.host);
    lines.push(`${listenHost}\t${endpoint.host}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface Relays {
  close(): Promise<void>;
}

/** One relay per forward, listening on `<folder>/<socketName>`; each connects only to its endpoint. */
export async function startRelays(forwards: readonly Forward[], folder: string, logger: Logger): Promise<Relays> {
  const servers: Server[] = [];
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  for (const forward of forwards) {
    const server = createServer((inside) => {
      track(inside);
      const outside = createConnection({ host: forward.endpoint.host, port: forward.endpoint.port });
      track(outside);
      outside.setNoDelay(true);
      inside.pipe(outside).pipe(inside);
      const end = (error?: Error) => {
        if (error) logger.debug({ endpoint: forward.endpoint, error: error.message }, 'relay connection ended');
        inside.destroy();
        outside.destroy();
      };
      inside.once('error', end).once('close', () => end());
      outside.once('error', end).once('close', () => end());
    });
    const path = join(folder, forward.socketName);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    // The sandbox runs as another uid: connecting to a socket file needs write permission on it.
    chmodSync(path, 0o666);
    servers.push(server);
  }
  return {
    async close() {
      for (const socket of open) socket.destroy();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}
