/**
 * Resources: pyexec://executions/{id} (a summary of the execution, whatever
 * its state), .../notebook (the final notebook) and .../figures/{name}.
 * Files are read from the execution's folder, so the MCP server must see the
 * executions root (same host or a shared file system).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { listingOf, type ExecutionView } from '../client/client.ts';
import { executionIdSchema } from '../protocol/fields.ts';
import { figureNames, readFigure } from './figures.ts';
import type { McpContext } from './mcp-context.ts';
import { uriTemplates } from './resource-uris.ts';

export function registerResources(mcp: McpServer, context: McpContext): void {
  const lookUp = async (id: unknown): Promise<ExecutionView> => {
    const parsed = executionIdSchema.safeParse(id);
    if (!parsed.success) throw new Error(`id: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const view = await context.client.get(parsed.data);
    if (!view) throw new Error(`no execution ${parsed.data} is known to this service`);
    return view;
  };

  mcp.registerResource(
    'execution',
    new ResourceTemplate(uriTemplates.execution, { list: undefined }),
    { title: 'An execution', description: 'State, outcome, mode, results, figures, lineage and error chain of one execution', mimeType: 'application/json' },
    async (uri, { id }): Promise<ReadResourceResult> => ({
      contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(describe(await lookUp(id)), null, 2) }],
    }),
  );
  mcp.registerResource(
    'notebook',
    new ResourceTemplate(uriTemplates.notebook, { list: undefined }),
    { title: "An execution's notebook", description: 'The final Jupyter notebook of an ended execution', mimeType: 'application/x-ipynb+json' },
    async (uri, { id }): Promise<ReadResourceResult> => {
      const view = await lookUp(id);
      if (view.state !== 'done') throw new Error(`execution ${view.execution_id} has not ended (state ${view.state}): its notebook is written at the end`);
      const text = await readFile(join(view.folder, 'notebook.ipynb'), 'utf8');
      return { contents: [{ uri: uri.href, mimeType: 'application/x-ipynb+json', text }] };
    },
  );
  mcp.registerResource(
    'figure',
    new ResourceTemplate(uriTemplates.figure, { list: undefined }),
    { title: 'A figure', description: 'One figure an execution saved' },
    async (uri, { id, name }): Promise<ReadResourceResult> => {
      const view = await lookUp(id);
      const figure = typeof name === 'string' ? await readFigure(figureSource(view), decodeURIComponent(name)) : null;
      if (!figure) throw new Error(`execution ${view.execution_id} has no figure ${String(name)}`);
      return { contents: [{ uri: uri.href, mimeType: figure.mimeType, blob: figure.data }] };
    },
  );
}

function figureSource(view: ExecutionView) {
  return { folder: view.folder, figures: view.summary?.figures ?? [] };
}

function describe(view: ExecutionView) {
  const { request, attempt, analysis, code_sha256, approval, decision, summary, folder, error_chain, updated_at } = view;
  return {
    ...listingOf(view),
    attempt,
    execution_mode: analysis?.execution_mode ?? null,
    code_sha256,
    approval,
    decision,
    results: summary?.results ?? null,
    figures: figureNames(figureSource(view)),
    folder,
    context_from: request.context_from,
    error_chain: error_chain.map(({ code: _code, ...entry }) => entry),
    updated_at,
  };
}
