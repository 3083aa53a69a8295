/**
 * The history of finished executions, searched by id, words of the task,
 * outcome and who decided: every word must be found in the id, the task or
 * the request (any case); outcome and decider must match exactly (the
 * decider in any case). Newest first.
 */
import { z } from 'zod';
import { outcomeSchema } from '../protocol/public.ts';
import type { ListItem } from './views.ts';

export const historyQuerySchema = z
  .object({
    q: z.string().max(500).default(''),
    outcome: outcomeSchema.optional(),
    decided_by: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
export type HistoryQuery = z.output<typeof historyQuerySchema>;

export interface Searchable {
  item: ListItem;
  /** The request's words beyond the task (the user's query). */
  text: string;
}

export function searchHistory(entries: Searchable[], query: HistoryQuery): ListItem[] {
  const words = query.q.toLowerCase().split(/\s+/).filter(Boolean);
  const decider = query.decided_by?.toLowerCase();
  return entries
    .filter(({ item }) => item.state === 'done')
    .filter(({ item }) => !query.outcome || item.outcome === query.outcome)
    .filter(({ item }) => !decider || item.decided_by?.toLowerCase() === decider)
    .filter(({ item, text }) => {
      const haystack = `${item.execution_id} ${item.task_objective} ${text}`.toLowerCase();
      return words.every((word) => haystack.includes(word));
    })
    .map(({ item }) => item)
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at))
    .slice(0, query.limit);
}
