/**
 * `pyexec mcp` over stdio on the embedded default, driven by the SDK's real
 * client: the tools and their schemas, a trivial execution, a figure as image
 * content, refusals (analysis, read_only mode) as tool errors, approval asked
 * of the user by elicitation (approved and rejected, recorded in the audit
 * with who answered), cancel and status of an execution whose call was cut
 * off, context_from, and the resources.
 */
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfigFile } from '../support/service-config.ts';
import { tempDir } from '../support/temp.ts';
import { writeCode } from '../support/fake-epics.ts';
import { stdioClient } from './mcp-clients.ts';
import { auditRecordsOf } from '../support/audit-records.ts';

const folder = tempDir('pyexec-mcp-stdio-');
const setup = writeConfigFile(folder.path, { mcp: { elicit_approvals: true } });
const args = ['--config', setup.configFile, '--state-dir', join(folder.path, 'state')];
let agent: Client;
/** What the user answers when asked by elicitation. */
let answer: ElicitResult = { action: 'cancel' };
const questions: string[] = [];

beforeAll(async () => {
  agent = await stdioClient(args, { capabilities: { elicitation: { form: {} } }, name: 'stdio-agent' });
  agent.setRequestHandler(ElicitRequestSchema, async (request) => {
    questions.push(request.params.message);
    return answer;
  });
}, 60_000);
afterAll(async () => {
  await agent.close();
  folder.remove();
});

const call = (name: string, args: Record<string, unknown>, options: { onprogress?: (p: { message?: string }) => void; signal?: AbortSignal } = {}) =>
  agent.callTool({ name, arguments: args }, undefined, { timeout: 120_000, resetTimeoutOnProgress: true, ...options }) as Promise<CallToolResult>;

const text = (result: CallToolResult) => result.content.filter((item) => item.type === 'text').map((item) => item.text).join('\n');
const structured = (result: CallToolResult) => result.structuredContent as Record<string, unknown>;

describe('pyexec mcp over stdio (embedded default)', () => {
  it('lists the four tools with input schemas from the zod schemas', async () => {
    const { tools } = await agent.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['execution_cancel', 'execution_status', 'python_analyze', 'python_execute']);
    const execute = tools.find((tool) => tool.name === 'python_execute');
    expect(Object.keys(execute?.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['task', 'code', 'context', 'context_from', 'mode']));
    expect(JSON.stringify(execute?.inputSchema)).toContain('^[a-z0-9][a-z0-9-]{7,63}$');
  });

  it('runs trivial code and returns the results as structured content, with the notebook as a resource', async () => {
    const progress: string[] = [];
    const result = await call('python_execute', { code: 'print("hello")\nresults = {"answer": 42}' }, { onprogress: (p) => progress.push(p.message ?? '') });
    expect(result.isError).toBe(false);
    expect(structured(result)).toMatchObject({ outcome: 'succeeded', results: { answer: 42 }, stdout: 'hello\n', execution_mode: 'read_only' });
    expect(progress.some((message) => message.startsWith('executing'))).toBe(true);
    const id = structured(result).execution_id as string;
    const link = result.content.find((item) => item.type === 'resource_link' && item.name === 'notebook.ipynb');
    expect(link).toMatchObject({ uri: `pyexec://executions/${id}/notebook` });
    const notebook = await agent.readResource({ uri: `pyexec://executions/${id}/notebook` });
    expect(JSON.parse(textOf(notebook.contents[0])).metadata.pyexec.execution_id).toBe(id);
    const summary = await agent.readResource({ uri: `pyexec://executions/${id}` });
    expect(JSON.parse(textOf(summary.contents[0]))).toMatchObject({ state: 'done', outcome: 'succeeded', results: { answer: 42 } });
  });

  it('returns a figure as image content and as a resource', async () => {
    const code = 'import matplotlib\nmatplotlib.use("Agg")\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nresults = {"points": 3}';
    const result = await call('python_execute', { code });
    expect(result.isError).toBe(false);
    const image = result.content.find((item) => item.type === 'image');
    expect(image).toMatchObject({ mimeType: 'image/png' });
    expect(Buffer.from(image?.type === 'image' ? image.data : '', 'base64').subarray(1, 4).toString()).toBe('PNG');
    const [name] = structured(result).figures as string[];
    const figure = await agent.readResource({ uri: `pyexec://executions/${structured(result).execution_id}/figures/${name}` });
    expect(figure.contents[0]).toMatchObject({ mimeType: 'image/png' });
    await expect(agent.readResource({ uri: `pyexec://executions/${structured(result).execution_id}/figures/..%2F..%2Fcontext.json` })).rejects.toThrow(/has no figure/);
  });

  it('reports code refused by the analysis as a tool error with the findings', async () => {
    const analysis = await call('python_analyze', { code: 'import os\nos.system("ls")\nresults = {}' });
    expect(structured(analysis)).toMatchObject({ passed: false, findings: [expect.objectContaining({ rule: 'process.execution', severity: 'blocking' })] });
    const result = await call('python_execute', { code: 'import os\nos.system("ls")\nresults = {}' });
    expect(result.isError).toBe(true);
    expect(structured(result)).toMatchObject({ outcome: 'failed', findings: [expect.objectContaining({ rule: 'process.execution', line: 2 })] });
    expect(text(result)).toMatch(/failed at analysis[\s\S]*line 2: calls os\.system/);
  });

  it('refuses code that writes when the call asked for read_only, naming the mode it needs', async () => {
    const result = await call('python_execute', { code: writeCode });
    expect(result.isError).toBe(true);
    expect(structured(result).outcome).toBe('cancelled');
    expect(text(result)).toMatch(/refused: the code needs the "write_access" execution mode because it writes TEST:SETPOINT \(line 2\).*mode "read_write"/);
    expect(setup.epics.writes()).toEqual([]);
  });

  it('asks the user by elicitation: a rejection is a tool error, recorded in the audit with who answered', async () => {
    answer = { action: 'accept', content: { decision: 'reject', reason: 'not during the shift change' } };
    const result = await call('python_execute', { code: writeCode, mode: 'read_write' });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/rejected by mcp-elicitation:stdio-agent: not during the shift change/);
    expect(questions.at(-1)).toMatch(/mode "write_access"[\s\S]*TEST:SETPOINT at line 2[\s\S]*epics\.caput/);
    const audit = auditRecordsOf(structured(result).folder as string);
    expect(audit.find((record) => record.event === 'decision_counted')).toMatchObject({ approver: 'mcp-elicitation:stdio-agent', verdict: 'reject' });
    expect(setup.epics.writes()).toEqual([]);
  });

  it('runs the write once the user approves by elicitation, the decision bound to the code hash', async () => {
    answer = { action: 'accept', content: { decision: 'approve' } };
    const result = await call('python_execute', { code: writeCode, mode: 'read_write' });
    expect(result.isError).toBe(false);
    expect(structured(result)).toMatchObject({ outcome: 'succeeded', execution_mode: 'write_access' });
    const received = auditRecordsOf(structured(result).folder as string).find((record) => record.event === 'decision_received');
    expect(received).toMatchObject({ approver: 'mcp-elicitation:stdio-agent', verdict: 'approve', code_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(setup.epics.writes()).toEqual(["caput TEST:SETPOINT 1.5"]);
  });

  it('keeps an execution whose call was cut off: execution_status finds it, execution_cancel ends it', async () => {
    answer = { action: 'cancel' }; // the user dismisses the question: the execution keeps waiting for other approvers
    const stop = new AbortController();
    let id = '';
    const waiting = new Promise<void>((resolve) => {
      void call('python_execute', { code: writeCode, mode: 'read_write' }, {
        signal: stop.signal,
        onprogress: ({ message = '' }) => {
          id = /execution ([0-9a-f-]{36})/.exec(message)?.[1] ?? id;
          if (message.startsWith('awaitingApproval: approval')) resolve();
        },
      }).catch(() => {});
    });
    await waiting;
    stop.abort();
    const status = await call('execution_status', { execution_id: id });
    expect(structured(status)).toMatchObject({ state: 'awaitingApproval', approval: expect.objectContaining({ approval_id: expect.any(String) }) });
    const cancelled = await call('execution_cancel', { execution_id: id, reason: 'the agent changed its plan' });
    expect(cancelled.isError).toBeFalsy();
    const ended = await call('execution_status', { execution_id: id, wait: true });
    expect(structured(ended)).toMatchObject({ outcome: 'cancelled' });
    const again = await call('execution_cancel', { execution_id: id });
    expect(again.isError).toBe(true);
    expect(text(again)).toMatch(/has already ended \(cancelled\)/);
    expect(setup.epics.writes()).toEqual(["caput TEST:SETPOINT 1.5"]);
  });

  it('chains executions with context_from, and refuses an unknown one as a tool error naming the field', async () => {
    const first = await call('python_execute', { code: 'results = {"values": [2, 4, 6]}' });
    const id = structured(first).execution_id as string;
    const second = await call('python_execute', { code: 'results = {"mean": sum(context["load"]["values"]) / 3}', context_from: [{ execution_id: id, as: 'load' }] });
    expect(structured(second)).toMatchObject({ outcome: 'succeeded', results: { mean: 4 }, context_from: [{ execution_id: id, as: 'load' }] });
    const unknown = await call('python_execute', { code: 'results = {}', context_from: [{ execution_id: 'not-an-execution', as: 'x' }] });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toMatch(/context_from\.0\.execution_id: no execution not-an-execution/);
  });

  it('reports bad arguments as tool errors naming the field', async () => {
    const result = await call('python_execute', { code: 'results = {}', mode: 'admin' });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/mode/);
    const neither = await call('python_execute', { context: {} });
    expect(text(neither)).toMatch(/give `task`, `code`, or both/);
    const status = await call('execution_status', { execution_id: 'unknown-execution' });
    expect(text(status)).toMatch(/execution_id: no execution unknown-execution/);
  });
});

function textOf(content: { text: string } | { blob: string } | undefined): string {
  return content && 'text' in content ? content.text : '';
}

