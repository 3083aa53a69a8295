/**
 * `pyexec mcp` as an agent's NATS user with the requester role of the shipped
 * nats-server.conf (service, executor and approver as their own users). The
 * agent may submit and cancel: a read_only call refuses a write by cancelling
 * it. It may not decide: an approval its user gives by elicitation is
 * refused by the NATS server, nothing runs, and only the approver's decision
 * lets the write through.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyexecClient } from '../../client/client.ts';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import type { Transport } from '../../bus/transport.ts';
import { writeConfigFile } from '../support/service-config.ts';
import { startCli, type CliRun } from '../support/cli.ts';
import { NatsServer } from '../support/nats-server.ts';
import { natsConfigFile, roleEnvironment, roleLogins, rolePasswords } from '../support/nats-roles.ts';
import { tempDir } from '../support/temp.ts';
import { writeCode } from '../support/fake-epics.ts';
import { stdioClient } from './mcp-clients.ts';

const folder = tempDir('pyexec-mcp-roles-');
const setup = writeConfigFile(folder.path, { mcp: { elicit_approvals: true } });
let server: NatsServer;
const processes: CliRun[] = [];
let approverTransport: Transport;
let approver: PyexecClient;
let agent: Client;
let elicited = 0;
let agentLog = '';

beforeAll(async () => {
  server = await NatsServer.start({ configFile: natsConfigFile, env: rolePasswords, auth: roleLogins.service });
  const nats = { PYEXEC_NATS_URL: server.url };
  const serve = startCli(['serve', '--config', setup.configFile], { env: { ...nats, ...roleEnvironment('service') } });
  processes.push(serve);
  await serve.waitForStderr('pyexec serve: ready', 90_000);
  const executor = startCli(['executor', '--config', setup.configFile], { env: { ...nats, ...roleEnvironment('executor') } });
  processes.push(executor);
  await executor.waitForStderr('pyexec executor: ready', 90_000);
  approverTransport = await createNatsTransport({ servers: [server.url], name: 'approver', ...roleLogins.approver });
  approver = new PyexecClient(approverTransport, 'operator');
  agent = await stdioClient(['--config', setup.configFile], {
    capabilities: { elicitation: { form: {} } },
    name: 'roles-agent',
    env: { ...nats, ...roleEnvironment('requester') },
    onStderr: (text) => (agentLog += text),
  });
  agent.setRequestHandler(ElicitRequestSchema, async () => {
    elicited += 1;
    return { action: 'accept', content: { decision: 'approve', reason: 'the agent user says yes' } };
  });
}, 240_000);
afterAll(async () => {
  await agent?.close();
  await approverTransport?.close();
  for (const process of processes) process.child.kill('SIGTERM');
  await Promise.all(processes.map((process) => process.result));
  await server?.dispose();
  folder.remove();
});

const call = (args: Record<string, unknown>, onprogress?: (p: { message?: string }) => void) =>
  agent.callTool({ name: 'python_execute', arguments: args }, undefined, { timeout: 120_000, resetTimeoutOnProgress: true, onprogress }) as Promise<CallToolResult>;
const text = (result: CallToolResult) => result.content.filter((item) => item.type === 'text').map((item) => item.text).join('\n');

describe('pyexec mcp as a NATS requester', () => {
  it('runs code and refuses a write in a read_only call by cancelling it', async () => {
    const trivial = await call({ code: 'results = {"ok": True}' });
    expect(trivial.structuredContent).toMatchObject({ outcome: 'succeeded', results: { ok: true } });
    const refused = await call({ code: writeCode });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toMatchObject({ outcome: 'cancelled' });
    expect(text(refused)).toMatch(/needs the "write_access" execution mode/);
    expect(setup.epics.writes()).toEqual([]);
  });

  it("cannot approve through its user's elicitation: the write waits for the approver", async () => {
    let id = '';
    const result = call({ code: writeCode, mode: 'read_write' }, ({ message = '' }) => {
      id = /submitted: execution (\S+)/.exec(message)?.[1] ?? id;
    });
    await expect.poll(() => elicited, { timeout: 30_000 }).toBe(1);
    // The user's "approve" went out as a decision, and the NATS server refused it.
    await expect.poll(() => agentLog, { timeout: 30_000 }).toMatch(/Permissions Violation for Publish[^\n]*asking for approval over MCP failed/);
    expect((await approver.get(id))?.state).toBe('awaitingApproval');
    expect(setup.epics.writes()).toEqual([]);
    await approver.decide(id, 'approve', { reason: 'checked by the operator', approver: 'operator' });
    const done = await result;
    expect(done.structuredContent).toMatchObject({ outcome: 'succeeded', execution_mode: 'write_access' });
    expect(setup.epics.writes()).toHaveLength(1);
    const view = await approver.get(id);
    expect(view?.decision).toMatchObject({ approver: 'operator', verdict: 'approve' });
  });
});
