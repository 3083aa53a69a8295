/**
 * Route schemas are the zod schemas themselves: fastify hands each route's
 * `schema.body` / `params` / `querystring` to this compiler instead of a JSON
 * Schema validator, so the page validates with the same schemas and says
 * which field is wrong the way the rest of pyexec does.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { describeZodError } from '../protocol/zod-error.ts';
import { HttpError } from './http.ts';

export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  if (!(schema instanceof z.ZodType)) throw new TypeError(`review page: the ${httpPart ?? 'request'} schema of a route must be a zod schema`);
  return (data: unknown) => {
    const parsed = schema.safeParse(data);
    return parsed.success ? { value: parsed.data } : { error: new HttpError(400, describeZodError(parsed.error, httpPart === 'querystring' ? 'query' : (httpPart ?? ''))) };
  };
};
