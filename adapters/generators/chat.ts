/**
 * What the LLM generators share: a chat model (one SDK call, streamed or
 * not, errors already classified) and the conversation that turns a prompt
 * into code — turns, transcript, token accounting, extraction, metadata.
 */
import { z } from 'zod';
import type { GeneratorMetadata } from '../../protocol/internal.ts';
import { extractCode } from './extract.ts';
import { GenerationError, type GeneratedCode, type GenerationInput } from './generator.ts';
import { tokenReporter } from './progress.ts';
import { redact } from './redact.ts';
import type { Transcript } from './transcript.ts';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  system: string;
  messages: readonly ChatMessage[];
  signal?: AbortSignal | undefined;
  /** Called with each streamed text delta (streaming models only). */
  onText?: (delta: string) => void;
}

export interface ChatReply {
  text: string;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  /** The answer stopped at the token limit. */
  truncated: boolean;
}

/** One model behind one API. `send` throws only GenerationError. */
export interface ChatModel {
  readonly model: string;
  send(request: ChatRequest): Promise<ChatReply>;
}

export const pricingSchema = z
  .object({
    input_per_million: z.number().nonnegative(),
    output_per_million: z.number().nonnegative(),
  })
  .strict();
export type Pricing = z.output<typeof pricingSchema>;

export interface ConversationTurn {
  /** Names the transcript files: `single`, `scan`, `plan`, `implement`. */
  name: string;
  content: string;
}

export interface Conversation {
  generator: string;
  model: ChatModel;
  system: string;
  /** The last turn's answer holds the code; earlier turns prepare it. */
  turns: readonly ConversationTurn[];
  /** Input + output tokens after which preparatory turns are skipped. */
  tokenBudget?: number | undefined;
  pricing?: Pricing | undefined;
  transcript: Transcript;
  /** Blanked in whatever comes back (a hostile or broken server could echo the key). */
  secrets: readonly string[];
}

interface Usage {
  input?: number;
  output?: number;
}

function addUsage(total: Usage, reply: ChatReply): Usage {
  const sum = (a: number | undefined, b: number | undefined) => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));
  const input = sum(total.input, reply.inputTokens);
  const output = sum(total.output, reply.outputTokens);
  return { ...(input === undefined ? {} : { input }), ...(output === undefined ? {} : { output }) };
}

function cost(usage: Usage, pricing: Pricing | undefined): number | undefined {
  if (pricing === undefined || usage.input === undefined || usage.output === undefined) return undefined;
  return (usage.input * pricing.input_per_million + usage.output * pricing.output_per_million) / 1_000_000;
}

async function saving(what: string, write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (error) {
    throw new GenerationError('infrastructure', `cannot save the ${what} to the execution folder: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Preparatory turns run while the conversation is within budget; the last turn always runs. */
function overBudget(usage: Usage, budget: number | undefined): boolean {
  return budget !== undefined && (usage.input ?? 0) + (usage.output ?? 0) >= budget;
}

interface TurnsOutcome {
  reply: ChatReply;
  usage: Usage;
  turnsRun: number;
  firstTokenMs?: number | undefined;
}

/** Runs the turns of one conversation, saving each prompt and answer; answers come back with secrets blanked. */
async function runTurns(conversation: Conversation, input: GenerationInput, started: number): Promise<TurnsOutcome> {
  const { turns, secrets } = conversation;
  const messages: ChatMessage[] = [];
  let outcome: TurnsOutcome | undefined;
  for (const [index, turn] of turns.entries()) {
    const usage = outcome?.usage ?? {};
    if (index < turns.length - 1 && overBudget(usage, conversation.tokenBudget)) continue;
    messages.push({ role: 'user', content: turn.content });
    await saving('prompt', conversation.transcript.prompt(turn.name, conversation.system, messages));
    const report = input.onProgress;
    const reporter = tokenReporter(report && ((chunk) => report(redact(chunk, secrets))));
    let firstTokenMs = outcome?.firstTokenMs;
    const sent = await conversation.model.send({
      system: conversation.system,
      messages: [...messages],
      signal: input.signal,
      onText: (delta) => {
        firstTokenMs ??= performance.now() - started;
        reporter.push(delta);
      },
    });
    reporter.flush();
    const reply = { ...sent, text: redact(sent.text, secrets) };
    await saving('response', conversation.transcript.response(turn.name, reply.text));
    messages.push({ role: 'assistant', content: reply.text });
    outcome = { reply, usage: addUsage(usage, reply), turnsRun: (outcome?.turnsRun ?? 0) + 1, firstTokenMs };
  }
  if (outcome === undefined) throw new GenerationError('configuration', `generator "${conversation.generator}" has no turns to run`);
  return outcome;
}

export async function converse(conversation: Conversation, input: GenerationInput): Promise<GeneratedCode> {
  const started = performance.now();
  const { reply, usage, turnsRun, firstTokenMs } = await runTurns(conversation, input, started);
  const extracted = extractCode(reply.text);
  if (extracted === undefined) {
    const why = reply.text.trim() === '' ? 'an empty answer' : `an answer without Python code (${reply.text.length} characters)`;
    const cut = reply.truncated ? ', cut off at the max_tokens limit' : '';
    throw new GenerationError('unusable', `model ${conversation.model.model} gave ${why}${cut}`, reply.text);
  }
  const spent = cost(usage, conversation.pricing);
  const metadata: GeneratorMetadata = {
    generator: conversation.generator,
    model: conversation.model.model,
    ...(usage.input === undefined ? {} : { input_tokens: usage.input }),
    ...(usage.output === undefined ? {} : { output_tokens: usage.output }),
    ...(spent === undefined ? {} : { cost_usd: spent }),
    duration_ms: performance.now() - started,
    ...(firstTokenMs === undefined ? {} : { first_token_ms: firstTokenMs }),
    turns: turnsRun,
    extraction: extracted.source,
    truncated: reply.truncated,
  };
  return { code: extracted.code, metadata };
}
