/** An execution's figures and notebook, from inside its folder only (files.ts). */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { executionIdSchema } from '../../protocol/fields.ts';
import { currentNotebook, figureType, insideFolder } from '../files.ts';
import { HttpError } from '../http.ts';
import type { ReviewDeps } from '../deps.ts';
import { idParamsSchema, viewOf, type IdParams } from './execution-routes.ts';

const figureParamsSchema = z.object({ id: executionIdSchema, index: z.coerce.number().int().nonnegative() }).strict();

export function fileRoutes(deps: ReviewDeps) {
  return async (app: FastifyInstance) => {
    app.get<{ Params: z.output<typeof figureParamsSchema> }>('/executions/:id/figures/:index', { schema: { params: figureParamsSchema } }, async (request, reply) => {
      const { id, index } = request.params;
      const found = await viewOf(deps, id);
      const path = found.summary?.figures[index];
      const real = path ? await insideFolder(found.folder, path) : null;
      const type = real ? figureType(real) : null;
      if (!real || !type) throw new HttpError(404, `no figure ${index} for ${id}`);
      // An SVG is a document that could carry script: it gets a sandbox of its own.
      return reply.type(type).header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox").send(createReadStream(real));
    });

    app.get<{ Params: IdParams }>('/executions/:id/notebook', { schema: { params: idParamsSchema } }, async (request, reply) => {
      const { id } = request.params;
      const path = await currentNotebook((await viewOf(deps, id)).folder);
      if (!path) throw new HttpError(404, `no notebook yet for ${id}`);
      return reply.type('application/x-ipynb+json').header('Content-Disposition', `attachment; filename="${id}-${basename(path)}"`).send(createReadStream(path));
    });
  };
}
