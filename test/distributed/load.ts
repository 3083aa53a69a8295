/** Many small read-only executions through the whole service, each marking its run in the epics log. */
import type { ExecutionView, PyexecClient } from '../../client/client.ts';
import { sleep, type Site } from '../support/pyexec-site.ts';
import { eventually } from '../support/eventually.ts';

export const markerCode = (id: string) => `from epics import caget\ncaget("RUN:${id}")\nresults = {"id": "${id}"}\n`;

/** Submits `ids` one after the other, `gapMs` apart, calling `midway` after `midwayAfter` of them. */
export async function submitAll(client: PyexecClient, ids: string[], gapMs: number, midwayAfter: number, midway: () => Promise<void>): Promise<void> {
  for (const [index, id] of ids.entries()) {
    if (index === midwayAfter) await midway();
    await client.submit({ execution_id: id, task_objective: `load ${index}`, approved_code: markerCode(id) });
    await sleep(gapMs);
  }
}

/** Waits until every execution is done; reading through an outage (the store may be away for a moment). */
export async function allFinished(client: PyexecClient, ids: string[], timeoutMs: number): Promise<ExecutionView[]> {
  let seen: ExecutionView[] = [];
  try {
    return await eventually(async () => {
      try {
        seen = (await client.list()).filter((view) => ids.includes(view.execution_id));
        const done = seen.filter((record) => record.state === 'done');
        return done.length === ids.length ? done : undefined;
      } catch {
        return undefined;
      }
    }, `all ${ids.length} executions to finish`, timeoutMs);
  } catch (error) {
    const missing = ids.filter((id) => !seen.some((view) => view.execution_id === id));
    const unfinished = seen.filter((view) => view.state !== 'done').map((view) => `${view.execution_id}: ${view.state} (since ${view.updated_at})`);
    throw new Error(`${(error as Error).message}\nnever recorded: ${missing.join(', ') || 'none'}\nunfinished: ${unfinished.join(', ') || 'none'}`);
  }
}

/** How often each execution's code ran. */
export function runsPerExecution(site: Site, ids: string[]): Map<string, number> {
  return new Map(ids.map((id) => [id, site.count(`caget RUN:${id}`)]));
}
