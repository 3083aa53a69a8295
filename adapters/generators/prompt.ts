/**
 * The prompt every LLM generator sends: a system role, then the task, the
 * caller's expectations, a description of `context` (shapes, never values),
 * the requirements, the failures so far and the answer format. Every text
 * part can be replaced from config, and any part left out.
 */
import { z } from 'zod';
import type { ErrorChainEntry, ExecutionRequest } from '../../protocol/public.ts';
import { describeContext } from './context-shape.ts';

export const defaultRole =
  'You are an expert Python developer writing code for a particle accelerator control room. ' +
  'Your code runs unattended in an isolated Python kernel; operators review it and rely on its results.';

export const defaultRequirements = [
  'Write one complete, self-contained Python script with every import it needs.',
  'Put every result in a dict named `results`; use JSON-friendly values (numbers, strings, lists, dicts; numpy and pandas objects are converted).',
  'Read input data from `context`, which is already defined (a dict loaded from context.json); do not redefine it.',
  'Never invent, simulate or hard-code data that should come from `context` or the control system; when something is missing, say so in `results`.',
  'Write to the control system (caput, PV.put) only when the task explicitly asks for a write.',
  'Make figures with matplotlib and do not call plt.show(): open figures are saved automatically.',
];

export const defaultOutputFormat =
  'Answer with the complete script in a single ```python fenced block. Keep any explanation outside the block short.';

export const defaultRetryInstructions =
  'The previous attempts failed as shown below. Find the cause, then write a corrected, complete script that does not repeat the mistake.';

export const promptParts = [
  'task_objective',
  'user_query',
  'expected_results',
  'capability_prompts',
  'context',
  'requirements',
  'errors',
  'output_format',
] as const;
export type PromptPart = (typeof promptParts)[number];

export const promptOptionsSchema = z
  .object({
    role: z.string().min(1).default(defaultRole),
    /** Replaces the built-in requirements. */
    requirements: z.array(z.string().min(1)).default(defaultRequirements),
    /** Added after the requirements (site conventions, libraries to prefer). */
    extra_requirements: z.array(z.string().min(1)).default([]),
    output_format: z.string().min(1).default(defaultOutputFormat),
    retry_instructions: z.string().min(1).default(defaultRetryInstructions),
    omit: z.array(z.enum(promptParts)).default([]),
    /** Failures of the chain shown to the model, most recent last. */
    max_errors: z.number().int().nonnegative().default(3),
    traceback_head_lines: z.number().int().nonnegative().default(15),
    traceback_tail_lines: z.number().int().nonnegative().default(25),
    /** Error messages can hold huge reprs; longer ones are cut in the middle. */
    max_message_chars: z.number().int().positive().default(2000),
    /** Show the code of the latest failed attempt, so the model fixes rather than rewrites. */
    include_failed_code: z.boolean().default(true),
    context_max_depth: z.number().int().nonnegative().default(3),
    context_max_keys: z.number().int().positive().default(40),
  })
  .strict();
export type PromptOptions = z.output<typeof promptOptionsSchema>;

export interface Prompt {
  system: string;
  user: string;
}

/** Keeps the first `head` and last `tail` lines: where the call started and where it broke. */
export function cutTraceback(traceback: string, head: number, tail: number): string {
  const lines = traceback.replace(/\s+$/, '').split('\n');
  if (lines.length <= head + tail) return lines.join('\n');
  const omitted = lines.length - head - tail;
  return [...lines.slice(0, head), `    ... ${omitted} lines omitted ...`, ...(tail > 0 ? lines.slice(-tail) : [])].join('\n');
}

function cutMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)} … [${text.length - 2 * half} characters omitted] … ${text.slice(-half)}`;
}

function fenced(text: string, language = ''): string {
  // A fence longer than any backtick run inside, so code holding ``` cannot close it early.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${text.replace(/\s+$/, '')}\n${fence}`;
}

function describeFailure(entry: ErrorChainEntry, options: PromptOptions, showCode: boolean): string {
  const parts = [`### Attempt ${entry.attempt}: ${entry.stage} failed — ${entry.type}: ${cutMiddle(entry.message, options.max_message_chars)}`];
  if (entry.findings?.length) {
    parts.push(
      'Analysis findings:\n' +
        entry.findings.map((f) => `- line ${f.line} [${f.severity}] ${f.rule}: ${f.message}`).join('\n'),
    );
  }
  if (entry.traceback) {
    const cut = cutTraceback(entry.traceback, options.traceback_head_lines, options.traceback_tail_lines);
    parts.push(`Traceback:\n${fenced(cut)}`);
  }
  if (showCode && entry.code) parts.push(`The code of that attempt:\n${fenced(entry.code, 'python')}`);
  return parts.join('\n\n');
}

function errorsSection(chain: readonly ErrorChainEntry[], options: PromptOptions): string | undefined {
  const shown = options.max_errors === 0 ? [] : chain.slice(-options.max_errors);
  if (shown.length === 0) return undefined;
  const failures = shown.map((entry, index) =>
    describeFailure(entry, options, options.include_failed_code && index === shown.length - 1),
  );
  const skipped = chain.length - shown.length;
  const note = skipped > 0 ? `\n\n(${skipped} earlier failed attempts not shown.)` : '';
  return `## Previous attempts\n\n${options.retry_instructions}${note}\n\n${failures.join('\n\n')}`;
}

function userSections(request: ExecutionRequest, chain: readonly ErrorChainEntry[], options: PromptOptions): Record<PromptPart, string | undefined> {
  const expected = Object.entries(request.expected_results);
  const requirements = [...options.requirements, ...options.extra_requirements];
  return {
    task_objective: `## Task\n\n${request.task_objective}`,
    user_query: request.user_query.trim() ? `## The user's request\n\n${request.user_query}` : undefined,
    expected_results: expected.length
      ? `## Expected results\n\nThe \`results\` dict must hold:\n${expected.map(([key, what]) => `- \`${key}\`: ${what}`).join('\n')}`
      : undefined,
    capability_prompts: request.capability_prompts.length
      ? `## Capability instructions\n\n${request.capability_prompts.join('\n\n')}`
      : undefined,
    context: `## Available data: \`context\`\n\n${describeContext(request.context, {
      maxDepth: options.context_max_depth,
      maxKeys: options.context_max_keys,
    })}`,
    requirements: requirements.length ? `## Requirements\n\n${requirements.map((line) => `- ${line}`).join('\n')}` : undefined,
    errors: errorsSection(chain, options),
    output_format: `## Answer format\n\n${options.output_format}`,
  };
}

export function buildPrompt(request: ExecutionRequest, chain: readonly ErrorChainEntry[], options: PromptOptions): Prompt {
  const sections = userSections(request, chain, options);
  const omitted = new Set(options.omit);
  const user = promptParts
    .filter((part) => !omitted.has(part))
    .map((part) => sections[part])
    .filter((text): text is string => text !== undefined)
    .join('\n\n');
  return { system: options.role, user };
}
