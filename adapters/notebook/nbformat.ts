/**
 * The subset of nbformat 4.5 that pyexec writes, as zod schemas mirroring
 * Jupyter's JSON schema (nbformat.v4.5.schema.json): a notebook of markdown
 * and code cells, and the four output types. Kernel outputs arrive as loose
 * objects (a Jupyter kernel adds fields such as `transient` that the schema
 * forbids); `normaliseOutput` turns one into a valid nbformat output.
 */
import { z } from 'zod';
import { describeZodError } from '../../protocol/zod-error.ts';

/** nbformat stores text as one string or as a list of lines. */
const multilineString = z.union([z.string(), z.array(z.string())]);

/**
 * A mime bundle: JSON mime types (application/json, application/*+json) hold
 * any JSON value; every other type holds text (base64 for images).
 */
const mimeBundle = z.record(z.string(), z.unknown()).superRefine((bundle, context) => {
  for (const [mime, value] of Object.entries(bundle)) {
    if (/^application\/(.*\+)?json$/.test(mime)) continue;
    if (!multilineString.safeParse(value).success) {
      context.addIssue({ code: 'custom', path: [mime], message: 'must be a string or a list of strings' });
    }
  }
});

const executionCount = z.number().int().nonnegative().nullable();

export const streamOutputSchema = z.object({
  output_type: z.literal('stream'),
  name: z.enum(['stdout', 'stderr']),
  text: multilineString,
});

export const displayDataOutputSchema = z.object({
  output_type: z.literal('display_data'),
  data: mimeBundle,
  metadata: z.record(z.string(), z.unknown()).default({}),
});

export const executeResultOutputSchema = z.object({
  output_type: z.literal('execute_result'),
  execution_count: executionCount.default(null),
  data: mimeBundle,
  metadata: z.record(z.string(), z.unknown()).default({}),
});

export const errorOutputSchema = z.object({
  output_type: z.literal('error'),
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()),
});

/** Unknown keys (e.g. `transient`) are stripped: nbformat forbids them. */
export const outputSchema = z.discriminatedUnion('output_type', [
  streamOutputSchema,
  displayDataOutputSchema,
  executeResultOutputSchema,
  errorOutputSchema,
]);
export type Output = z.output<typeof outputSchema>;

/** Cell ids: nbformat 4.5 requires them, unique within a notebook. */
const cellId = z.string().regex(/^[a-zA-Z0-9-_]{1,64}$/);

export const markdownCellSchema = z.object({
  id: cellId,
  cell_type: z.literal('markdown'),
  metadata: z.record(z.string(), z.unknown()),
  source: multilineString,
});
export type MarkdownCell = z.output<typeof markdownCellSchema>;

export const codeCellSchema = z.object({
  id: cellId,
  cell_type: z.literal('code'),
  metadata: z.record(z.string(), z.unknown()),
  source: multilineString,
  execution_count: executionCount,
  outputs: z.array(outputSchema),
});
export type CodeCell = z.output<typeof codeCellSchema>;

export const notebookSchema = z.object({
  nbformat: z.literal(4),
  nbformat_minor: z.literal(5),
  metadata: z
    .object({
      kernelspec: z.object({ name: z.string(), display_name: z.string(), language: z.string() }),
      language_info: z.object({ name: z.string() }),
    })
    .catchall(z.unknown()),
  cells: z.array(z.discriminatedUnion('cell_type', [markdownCellSchema, codeCellSchema])),
});
export type Notebook = z.output<typeof notebookSchema>;

/**
 * One kernel output as nbformat wants it, or — when the kernel sent something
 * that is not a valid output — a stderr stream saying what was dropped and
 * why, so that a malformed output never costs the whole notebook.
 */
export function normaliseOutput(raw: unknown, index: number): Output {
  const parsed = outputSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  return {
    output_type: 'stream',
    name: 'stderr',
    text: `[pyexec] kernel output ${index} dropped, not a valid nbformat output:\n${describeZodError(parsed.error, `outputs.${index}`)}\n`,
  };
}

/** Splits text into lines that keep their line endings, as Jupyter stores sources. */
export function toLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}
