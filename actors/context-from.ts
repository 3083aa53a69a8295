/**
 * Multi-stage pipelines at intake: a request's `context_from` names earlier
 * executions, whose results join the new execution's `context` under `as`.
 * A reference is refused, with a reason the caller can act on, when its
 * execution is unknown, has not finished, did not succeed, or its results
 * are larger than limits.context_from_bytes. What was taken is kept as the
 * lineage (audit, notebook header).
 */
import type { ContextFrom, ExecutionRequest } from '../protocol/public.ts';
import type { KvStore } from '../bus/kv-store.ts';
import { kvKeys } from '../protocol/kv-keys.ts';
import type { ExecutionContext } from '../machines/execution-types.ts';
import { executionRecordSchema } from '../protocol/record.ts';

/** One earlier execution a request took results from. */
export interface LineageEntry extends ContextFrom {
  code_sha256: string | null;
  folder: string;
  bytes: number;
}

export type ContextFromResult =
  | { ok: true; context: Record<string, unknown>; lineage: LineageEntry[] }
  | { ok: false; reason: string };

export async function resolveContextFrom(kv: KvStore, request: ExecutionRequest, maxBytes: number): Promise<ContextFromResult> {
  const context = { ...request.context };
  const lineage: LineageEntry[] = [];
  for (const [index, ref] of (request.context_from ?? []).entries()) {
    const field = `context_from.${index}`;
    if (ref.as in context) return { ok: false, reason: `${field}.as: "${ref.as}" is already a key of context; choose another name` };
    const taken = await resultsOf(kv, ref.execution_id, maxBytes);
    if (typeof taken === 'string') return { ok: false, reason: `${field}.execution_id: ${taken}` };
    context[ref.as] = taken.results;
    lineage.push({ ...ref, code_sha256: taken.context.codeSha256, folder: taken.context.folder, bytes: taken.bytes });
  }
  return { ok: true, context, lineage };
}

/** The results of a finished, succeeded execution, or why they cannot be taken. */
async function resultsOf(kv: KvStore, id: string, maxBytes: number): Promise<{ results: Record<string, unknown>; context: ExecutionContext; bytes: number } | string> {
  const entry = await kv.get(kvKeys.execution(id));
  const record = entry ? executionRecordSchema.safeParse(entry.value) : null;
  if (!record?.success) return `no execution ${id} is known to this service`;
  if (record.data.state !== 'done') return `execution ${id} has not finished (state ${record.data.state}): wait for it to end, then submit again`;
  if (record.data.outcome !== 'succeeded') return `execution ${id} ended ${record.data.outcome ?? 'without an outcome'}: only a succeeded execution's results can be used`;
  const { context } = record.data.snapshot as { context: ExecutionContext };
  const results = context.result?.results;
  if (!results) return `execution ${id} succeeded without results`;
  const bytes = Buffer.byteLength(JSON.stringify(results));
  if (bytes > maxBytes) return `the results of execution ${id} are ${bytes} bytes, more than limits.context_from_bytes (${maxBytes}): reduce them, or read them from its folder`;
  return { results, context, bytes };
}
