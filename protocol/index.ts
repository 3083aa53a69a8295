/**
 * The protocol as one import (`pyexec/protocol`): a program that only speaks
 * to a running service — submits, follows, decides, reads the audit trail —
 * takes the schemas and names from here without loading the service.
 * `public.ts` is what clients send and receive; `internal.ts` is for actors
 * written outside the service (a generator, analyzer or executor).
 */
export * from './public.ts';
export * from './internal.ts';
export * from './audit.ts';
export * from './fields.ts';
export * from './channel-limits.ts';
export * from './record.ts';
export * from './execution-view.ts';
export * from './subjects.ts';
export * from './kv-keys.ts';
export * from './queues.ts';
export * from './signing.ts';
export * from './canonical-json.ts';
export * from './errors.ts';
export * from './zod-error.ts';
