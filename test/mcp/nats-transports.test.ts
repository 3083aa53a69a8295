/**
 * `pyexec mcp --nats` against a real NATS deployment (nats-server, `pyexec
 * serve` with an executor), through the SDK's real client over both
 * transports: stdio and Streamable HTTP with a bearer token. Approvals come
 * from another client (an operator on NATS) while the tool call waits and
 * sends progress notifications; a rejection is a tool error; a client that
 * disconnects leaves the execution running and execution_status finds it.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfigFile } from '../support/service-config.ts';
import { runCli } from '../support/cli.ts';
import { startNatsDeployment, type NatsDeployment } from '../support/nats-deployment.ts';
import { tempDir } from '../support/temp.ts';
import { writeCode } from '../support/fake-epics.ts';
import { startHttpMcp, stdioClient, type HttpMcp } from './mcp-clients.ts';

const token = 'test-token-0123456789abcdefghij';
const folder = tempDir('pyexec-mcp-nats-');
const setup = writeConfigFile(folder.path);
let deployment: NatsDeployment;
let http: HttpMcp;
const clients: Record<'stdio' | 'http', Client> = {} as Record<'stdio' | 'http', Client>;

beforeAll(async () => {
  deployment = await startNatsDeployment(setup.configFile);
  const args = ['--config', setup.configFile, '--nats', deployment.nats.url];
  http = await startHttpMcp(args, token);
  [clients.stdio, clients.http] = await Promise.all([stdioClient(args), http.connect()]);
}, 120_000);
afterAll(async () => {
  await Promise.all(Object.values(clients).map((client) => client.close()));
  await http?.stop();
  await deployment?.stop();
  folder.remove();
});

type Progress = { message?: string };
const call = (client: Client, name: string, args: Record<string, unknown>, onprogress?: (p: Progress) => void) =>
  client.callTool({ name, arguments: args }, undefined, { timeout: 120_000, resetTimeoutOnProgress: true, onprogress }) as Promise<CallToolResult>;
const text = (result: CallToolResult) => result.content.filter((item) => item.type === 'text').map((item) => item.text).join('\n');
const structured = (result: CallToolResult) => result.structuredContent as Record<string, unknown>;

/** Calls python_execute with code that needs approval; resolves with the id once the call reports it waits. */
function callNeedingApproval(client: Client) {
  const progress: string[] = [];
  let resolveWaiting: (id: string) => void = () => {};
  const waiting = new Promise<string>((resolve) => (resolveWaiting = resolve));
  let id = '';
  const result = call(client, 'python_execute', { code: writeCode, mode: 'read_write' }, ({ message = '' }) => {
    progress.push(message);
    id = /submitted: execution (\S+)/.exec(message)?.[1] ?? id;
    if (message.startsWith('awaitingApproval: approval')) resolveWaiting(id);
  });
  return { progress, waiting, result };
}

describe.each(['stdio', 'http'] as const)('pyexec mcp over %s on NATS', (transport) => {
  const agent = () => clients[transport];

  it('lists the tools and runs trivial code', async () => {
    const { tools } = await agent().listTools();
    expect(tools.map((tool) => tool.name)).toContain('python_execute');
    const result = await call(agent(), 'python_execute', { code: 'results = {"sum": 1 + 2}' });
    expect(structured(result)).toMatchObject({ outcome: 'succeeded', results: { sum: 3 } });
  });

  it('waits for an approval given by another client, with progress notifications meanwhile', async () => {
    const before = setup.epics.writes().length;
    const { progress, waiting, result } = callNeedingApproval(agent());
    const id = await waiting;
    await deployment.client.decide(id, 'approve', { reason: 'checked the setpoint', approver: 'operator' });
    const done = await result;
    expect(done.isError).toBe(false);
    expect(structured(done)).toMatchObject({ execution_id: id, outcome: 'succeeded', execution_mode: 'write_access', results: { written: 1.5 } });
    expect(progress).toEqual(expect.arrayContaining([expect.stringMatching(/^awaitingApproval: /), expect.stringMatching(/^executing: /), expect.stringMatching(/^done: succeeded/)]));
    expect(setup.epics.writes().length).toBe(before + 1);
  });

  it('returns a rejection by another client as a tool error with the reason', async () => {
    const before = setup.epics.writes().length;
    const { waiting, result } = callNeedingApproval(agent());
    await deployment.client.decide(await waiting, 'reject', { reason: 'beam on: no setpoint changes', approver: 'operator' });
    const done = await result;
    expect(done.isError).toBe(true);
    expect(text(done)).toMatch(/rejected by operator: beam on: no setpoint changes/);
    expect(setup.epics.writes().length).toBe(before);
  });

  it('returns a figure as image content and refuses code the analysis sends back', async () => {
    const figure = await call(agent(), 'python_execute', { code: 'import matplotlib\nmatplotlib.use("Agg")\nimport matplotlib.pyplot as plt\nplt.plot([0, 1])\nresults = {}' });
    expect(figure.content.find((item) => item.type === 'image')).toMatchObject({ mimeType: 'image/png' });
    const refused = await call(agent(), 'python_execute', { code: 'import subprocess\nsubprocess.run(["ls"])\nresults = {}' });
    expect(refused.isError).toBe(true);
    expect(structured(refused)).toMatchObject({ outcome: 'failed', findings: expect.arrayContaining([expect.objectContaining({ severity: 'blocking', line: 2 })]) });
  });
});

describe('a client that disconnects while its call waits', () => {
  it('does not cancel the execution: a new client finds it with execution_status and gets its result', async () => {
    const first = await http.connect({ name: 'first-agent' });
    const { waiting, result } = callNeedingApproval(first);
    const id = await waiting;
    result.catch(() => {});
    await first.close();
    const second = await http.connect({ name: 'second-agent' });
    try {
      const status = await call(second, 'execution_status', { execution_id: id });
      expect(structured(status)).toMatchObject({ state: 'awaitingApproval' });
      const ended = call(second, 'execution_status', { execution_id: id, wait: true });
      await deployment.client.decide(id, 'approve', { reason: 'approved after the agent reconnected', approver: 'operator' });
      expect(structured(await ended)).toMatchObject({ execution_id: id, outcome: 'succeeded' });
    } finally {
      await second.close();
    }
  });
});

describe('the HTTP transport, attacked from outside', () => {
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'intruder', version: '1' } } };
  const post = (headers: Record<string, string>) =>
    fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(initialize) });

  it('refuses requests without the bearer token or with a wrong one', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${token}x` }, { authorization: `Basic ${Buffer.from(`u:${token}`).toString('base64')}` }, { authorization: 'Bearer ' }]) {
      const response = await post(headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    await expect(http.connect({ token: 'wrong-token-0123456789abcdefghij' })).rejects.toThrow();
  });

  it('refuses a body over 8 MiB and a body that is not JSON before any MCP handling', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` };
    const huge = await fetch(http.url, { method: 'POST', headers, body: `{"jsonrpc":"2.0","pad":"${'x'.repeat(9 * 1024 * 1024)}"}` });
    expect(huge.status).toBe(413);
    const garbage = await fetch(http.url, { method: 'POST', headers, body: '{"jsonrpc": ' });
    expect(garbage.status).toBe(400);
    expect(await garbage.text()).toMatch(/not JSON/);
  });

  it('will not serve HTTP without a token long enough to resist guessing', async () => {
    const short = await runCli(['mcp', '--http', '--port', '0', '--config', setup.configFile], { env: { PYEXEC_MCP_TOKEN: 'short' } });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/--bearer-token \(or PYEXEC_MCP_TOKEN\): --http needs a token of at least 24 characters/);
  });

  it('refuses a session id it did not issue, even with the token', async () => {
    const response = await fetch(http.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}`, 'mcp-session-id': 'guessed-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(response.status).toBe(404);
  });
});
