/**
 * Network egress and forged approvals: from inside a kernel, a raw socket to
 * the NATS server (to publish a decision), HTTP to the review page or the
 * outside (pandas.read_csv of a URL), a multiprocessing.connection client.
 * Listeners on loopback stand for those services; none may see a
 * connection, neither from the mode with no network nor from the mode whose
 * allow-list names another endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listener, startRig, type Listener, type Rig } from './rig.ts';

let rig: Rig;
let nats: Listener;
let web: Listener;
beforeAll(async () => {
  rig = await startRig();
  nats = await listener();
  web = await listener();
}, 120_000);
afterAll(async () => {
  await rig?.close();
  await nats?.close();
  await web?.close();
});

const attempts = (port: number) =>
  [
    'import socket, subprocess, sys',
    'outcomes = {}',
    'def attempt(name, action):',
    '    try:',
    '        outcomes[name] = repr(action())',
    '    except BaseException as exc:',
    '        outcomes[name] = repr(exc)',
    `attempt("raw socket", lambda: socket.create_connection(("127.0.0.1", ${port}), timeout=3))`,
    `attempt("localhost", lambda: socket.create_connection(("localhost", ${port}), timeout=3))`,
    `attempt("nats publish", lambda: socket.create_connection(("127.0.0.1", ${port}), timeout=3).sendall(b"CONNECT {}\\r\\nPUB pyexec.approvals.decisions 2\\r\\nok\\r\\n"))`,
    'import pandas',
    `attempt("read_csv", lambda: pandas.read_csv("http://127.0.0.1:${port}/data.csv"))`,
    'from multiprocessing.connection import Client',
    `attempt("multiprocessing.connection", lambda: Client(("127.0.0.1", ${port})))`,
    `attempt("a child process", lambda: subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', ${port}), timeout=3)"], capture_output=True, timeout=20).returncode)`,
    'attempt("the outside", lambda: socket.create_connection(("1.1.1.1", 80), timeout=3))',
    'results = outcomes',
  ].join('\n');

describe('network policy', () => {
  for (const mode of ['read_only', 'write_access'] as const) {
    it(`no connection leaves the ${mode} sandbox except to its allowed endpoint`, async () => {
      for (const target of [nats, web]) {
        const { result } = await rig.run(attempts(target.port), { mode, allows_writes: mode === 'write_access', timeout_seconds: 60 });
        expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
        expect(Object.keys(result.results ?? {})).toHaveLength(7);
      }
      expect(nats.connections).toBe(0);
      expect(web.connections).toBe(0);
    }, 180_000);
  }
});
