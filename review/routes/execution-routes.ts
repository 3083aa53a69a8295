/**
 * Executions on the page: the live list, the searchable history, one
 * execution in detail, and an approver's decision on it. A decision is bound
 * to the approval and code the operator saw, signed with the server's key on
 * the operator's behalf, and published like any other decision: the
 * supervisor judges it.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ExecutionView } from '../../client/client.ts';
import { executionIdSchema } from '../../protocol/fields.ts';
import { notebookLink } from '../../adapters/notebook/link.ts';
import { approvalSummary, confirmationProblem } from '../approval-summary.ts';
import { currentNotebook } from '../files.ts';
import { historyQuerySchema, searchHistory, type HistoryQuery } from '../history.ts';
import { HttpError } from '../http.ts';
import { sessionOf, type ReviewDeps } from '../deps.ts';
import { detail, listItem } from '../views.ts';

export const idParamsSchema = z.object({ id: executionIdSchema }).strict();
export type IdParams = z.output<typeof idParamsSchema>;

const decisionBodySchema = z
  .object({
    verdict: z.enum(['approve', 'reject']),
    reason: z.string().max(2000).default(''),
    /** The approval and code the operator looked at: a decision never silently moves to newer code. */
    approval_id: z.string().min(1),
    code_sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** For a write-mode approval: the PVs the operator confirmed, as the page named them. */
    confirmed_writes: z.array(z.string().max(500)).max(1000).optional(),
  })
  .strict()
  .refine((body) => body.verdict === 'approve' || body.reason.trim() !== '', { message: 'a rejection needs a reason', path: ['reason'] });

export async function viewOf(deps: ReviewDeps, id: string): Promise<ExecutionView> {
  const found = await deps.client.get(id);
  if (!found) throw new HttpError(404, `no execution ${id}`);
  return found;
}

export function executionRoutes(deps: ReviewDeps) {
  const { client, config, logger, signer, audit, transport, basePath } = deps;
  const apiUrl = (id: string, rest: string) => `${basePath}/api/executions/${encodeURIComponent(id)}/${rest}`;

  return async (app: FastifyInstance) => {
    app.get('/executions', async () => (await client.list()).map(listItem).sort((a, b) => b.updated_at.localeCompare(a.updated_at)));

    app.get<{ Querystring: HistoryQuery }>('/history', { schema: { querystring: historyQuerySchema } }, async (request) => {
      const views = await client.list();
      return searchHistory(views.map((view) => ({ item: listItem(view), text: view.request.user_query })), request.query);
    });

    app.get<{ Params: IdParams }>('/executions/:id', { schema: { params: idParamsSchema } }, async (request) => {
      const { id } = request.params;
      const found = await viewOf(deps, id);
      const folder = found.folder;
      const notebook = await currentNotebook(folder);
      // On NATS the page may run on a host without the folder: the audit stream stands in for the file.
      const fileRecords = await audit.read(folder).catch(() => null);
      const records = fileRecords ?? (await audit.readLog(id)) ?? [];
      const verification = await audit.verify(fileRecords || !transport.auditLog ? folder : null, id);
      const links = {
        notebook: notebook ? apiUrl(id, 'notebook') : null,
        jupyterNotebook: notebook && config.execution.jupyter.public_url ? notebookLink(config, notebook) : null,
        figure: (index: number) => apiUrl(id, `figures/${index}`),
      };
      return detail(found, links, { records, verification }, approvalSummary(found, config));
    });

    app.post<{ Params: IdParams; Body: z.output<typeof decisionBodySchema> }>(
      '/executions/:id/decision',
      {
        schema: { params: idParamsSchema, body: decisionBodySchema },
        // The role before the body is even read: a viewer learns nothing from a decision's validation.
        onRequest: async (request) => {
          const session = sessionOf(request);
          if (session.operator.roles.includes('approver')) return;
          logger.warn({ user: session.operator.name, url: request.url }, 'review page: decision refused, not an approver');
          throw new HttpError(403, `${session.operator.name} is not an approver`);
        },
      },
      async (request, reply) => {
        const session = sessionOf(request);
        const { id } = request.params;
        const body = request.body;
        const found = await viewOf(deps, id);
        if (body.verdict === 'approve') {
          const problem = confirmationProblem(approvalSummary(found, config), body.confirmed_writes);
          if (problem) throw new HttpError(400, problem);
        }
        const decision = await client.decide(id, body.verdict, {
          reason: body.reason,
          approver: session.operator.name,
          signer,
          approval: { approval_id: body.approval_id, code_sha256: body.code_sha256 },
        });
        logger.info({ user: session.operator.name, executionId: id, verdict: body.verdict }, 'review page: decision published');
        return reply.code(202).send({ published: true, approver: decision.approver, signed_by: decision.public_key ?? null });
      },
    );
  };
}
