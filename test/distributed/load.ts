/** Many small read-only executions through the whole service, each marking its run in the epics log. */
import type { PyexecClient } from '../../actors/client.ts';
import type { ExecutionRecord } from '../../actors/execution-record.ts';
import { eventually, sleep, type Site } from './harness.ts';

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
export async function allFinished(client: PyexecClient, ids: string[], timeoutMs: number): Promise<ExecutionRecord[]> {
  return eventually(async () => {
    try {
      const records = (await client.list()).map((view) => view.record);
      const done = records.filter((record) => ids.includes(record.execution_id) && record.state === 'done');
      return done.length === ids.length ? done : undefined;
    } catch {
      return undefined;
    }
  }, `all ${ids.length} executions to finish`, timeoutMs);
}

/** How often each execution's code ran. */
export function runsPerExecution(site: Site, ids: string[]): Map<string, number> {
  return new Map(ids.map((id) => [id, site.count(`caget RUN:${id}`)]));
}
