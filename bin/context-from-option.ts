/**
 * `--context-from ID[:NAME]` (repeatable): an earlier execution whose results
 * the code gets as `context[NAME]` (`context["previous"]` without a name).
 * The service checks the ids; here only the shape is read.
 */
import { Option } from 'commander';
import type { ContextFrom } from '../protocol/public.ts';

export const defaultContextName = 'previous';

export function contextFromOption(): Option {
  return new Option('--context-from <id[:name]>', `an earlier, succeeded execution whose results the code gets as context[name] (default name "${defaultContextName}"); repeatable`)
    .argParser((value: string, previous: ContextFrom[] | undefined) => [...(previous ?? []), parseContextFrom(value)]);
}

export function parseContextFrom(value: string): ContextFrom {
  const separator = value.indexOf(':');
  if (separator < 0) return { execution_id: value, as: defaultContextName };
  return { execution_id: value.slice(0, separator), as: value.slice(separator + 1) };
}
