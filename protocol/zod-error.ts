/** How a refused message is described to its sender: one line per problem. */
import type { z } from 'zod';

/** Turns a zod error into one line per issue: `field.path: message (got value)`. */
export function describeZodError(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('\n');
}
