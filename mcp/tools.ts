/**
 * The four tools: python_execute (run and wait, approvals included),
 * python_analyze (the analysis only), execution_status (look up, or wait
 * again for, any execution) and execution_cancel. Errors thrown here become
 * tool errors (isError) carrying the message, which names the field.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pendingApproval, type ExecutionView } from '../client/client.ts';
import { followExecution } from './follow.ts';
import type { McpContext } from './mcp-context.ts';
import { progressSender, type ToolExtra } from './progress.ts';
import { analyzeInputSchema, cancelInputSchema, executeInputSchema, statusInputSchema, type ExecuteInput } from './tool-input.ts';
import { executionResult } from './tool-result.ts';

export function registerTools(mcp: McpServer, context: McpContext): void {
  mcp.registerTool(
    'python_execute',
    {
      title: 'Run Python',
      description:
        'Runs Python for a task (code written by the service) or the given code, after static analysis and, when policy says so, ' +
        "a human's approval; waits for the end and returns results, output, figures and the notebook. " +
        'Anything but success is a tool error with the reason (findings, error chain, or the mode the code needs).',
      inputSchema: executeInputSchema,
    },
    (input, extra) => execute(mcp, context, input, extra),
  );
  mcp.registerTool(
    'python_analyze',
    {
      title: 'Analyse Python',
      description: 'The static analysis of code, as the service would do it before running it: findings, control-system reads and writes, execution mode, whether approval is needed. Runs nothing.',
      inputSchema: analyzeInputSchema,
      annotations: { readOnlyHint: true },
    },
    async ({ code }) => {
      const analysis = await context.analyze(code);
      const lines = [`${analysis.passed ? 'Would run' : 'Would be sent back'} in mode ${analysis.execution_mode}; approval ${analysis.requires_approval ? 'required' : 'not required'}.`, ...analysis.reasoning];
      for (const finding of analysis.findings) lines.push(`- ${finding.severity} line ${finding.line}: ${finding.message} [${finding.rule}]`);
      return { content: [{ type: 'text', text: lines.join('\n') }], structuredContent: analysis };
    },
  );
  mcp.registerTool(
    'execution_status',
    {
      title: 'Execution status',
      description: "An execution's state, the approval it waits for, or (once ended, or with wait) its full result. Finds executions whose call was cut off.",
      inputSchema: statusInputSchema,
      annotations: { readOnlyHint: true },
    },
    async ({ execution_id, wait }, extra) => {
      const view = await known(context, execution_id);
      if (view.state !== 'done' && !wait) return statusOf(view);
      const followed = await followExecution(context.client.watch(execution_id), { ...followOptions(mcp, context, extra), mode: null });
      if ('detached' in followed) return detachedResult(execution_id);
      // The status was found: a failed execution is the answer, not an error of this call.
      return { ...(await executionResult(followed.summary, await context.client.get(execution_id), context)), isError: false };
    },
  );
  mcp.registerTool(
    'execution_cancel',
    {
      title: 'Cancel an execution',
      description: 'Cancels an execution that has not ended (a running one is stopped; one waiting for approval never runs).',
      inputSchema: cancelInputSchema,
      annotations: { destructiveHint: false },
    },
    async ({ execution_id, reason }) => {
      const view = await known(context, execution_id);
      if (view.state === 'done') throw new Error(`execution_id: execution ${execution_id} has already ended (${view.outcome}); nothing to cancel`);
      await context.client.cancel(execution_id, reason);
      return { content: [{ type: 'text', text: `Cancellation of execution ${execution_id} requested; execution_status shows when it has stopped.` }] };
    },
  );
}

async function execute(mcp: McpServer, context: McpContext, input: ExecuteInput, extra: ToolExtra): Promise<CallToolResult> {
  const client = mcp.server.getClientVersion();
  const handle = await context.client.submit({
    task_objective: input.task ?? 'run the code given by the agent',
    user_query: input.task ?? '',
    approved_code: input.code,
    context: input.context,
    context_from: input.context_from,
    execution_folder_name: input.execution_folder_name,
    requester: `mcp:${client?.name ?? 'unnamed-client'}`,
  });
  progressSender(extra)(`submitted: execution ${handle.id}`);
  const followed = await followExecution(handle, { ...followOptions(mcp, context, extra), mode: input.mode });
  if ('detached' in followed) return detachedResult(handle.id);
  return executionResult(followed.summary, await context.client.get(handle.id), { outputChars: context.outputChars, modeRefusal: followed.modeRefusal });
}

function followOptions(mcp: McpServer, context: McpContext, extra: ToolExtra) {
  return { client: context.client, server: mcp.server, extra, logger: context.logger, elicit: context.elicitApprovals, reminderMs: context.reminderMs };
}

async function known(context: McpContext, id: string): Promise<ExecutionView> {
  const view = await context.client.get(id);
  if (!view) throw new Error(`execution_id: no execution ${id} is known to this service`);
  return view;
}

function statusOf(view: ExecutionView): CallToolResult {
  const { execution_id, state, attempt, updated_at, analysis, request } = view;
  const waiting = pendingApproval(view);
  const structured = {
    execution_id,
    state,
    attempt,
    updated_at,
    execution_mode: analysis?.execution_mode ?? null,
    approval: waiting ? { approval_id: waiting.approval.approval_id, deadline: waiting.approval.deadline, reasoning: waiting.analysis.reasoning, findings: waiting.analysis.findings } : null,
    context_from: request.context_from,
  };
  const text = waiting
    ? `Execution ${execution_id} waits for approval until ${waiting.approval.deadline} (mode ${waiting.analysis.execution_mode}). Call execution_status with wait: true to wait for the end.`
    : `Execution ${execution_id} is ${state} (attempt ${attempt}). Call execution_status with wait: true to wait for the end.`;
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** The caller stopped waiting (it will not read this): the execution goes on. */
function detachedResult(id: string): CallToolResult {
  return { content: [{ type: 'text', text: `Stopped waiting; execution ${id} goes on. execution_status finds it.` }], isError: true };
}
