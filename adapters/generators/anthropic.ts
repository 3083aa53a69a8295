/**
 * `anthropic`: Claude through @anthropic-ai/sdk, with two profiles.
 * - `fast`: one call with the whole prompt.
 * - `robust`: scan, plan, implement as turns of one conversation, so the
 *   model reasons about the task before committing to code. Retries already
 *   carry the failure to fix, so they only implement.
 */
import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { z } from 'zod';
import { apiKeyFields } from './api-key.ts';
import { pricingSchema, type ChatReply, type ChatRequest, type ConversationTurn } from './chat.ts';
import type { CodeGenerator, GenerationInput } from './generator.ts';
import { buildPrompt, promptOptionsSchema, type PromptOptions } from './prompt.ts';
import { defineGeneratorType, type GeneratorContext } from './registry.ts';
import { createSdkGenerator, parseAnswer, type SdkCalls, type SdkClientOptions, type SdkVendor } from './sdk-generator.ts';

export const defaultRobustPrompts = {
  scan:
    'Before writing any code, scan the task: what it asks for, which `context` entries and control-system channels it needs, ' +
    'what is missing or ambiguous, and what could go wrong. Do not write code yet.',
  plan: 'Now plan the script step by step: inputs, computations, figures, and the keys of `results`. Do not write code yet.',
  implement: 'Now write the script, following your plan.',
};

export const anthropicSectionSchema = z
  .object({
    /** Default: $ANTHROPIC_BASE_URL when set, else https://api.anthropic.com (base-url.ts). */
    base_url: z.string().url().optional(),
    model: z.string().min(1).default('claude-sonnet-4-6'),
    ...apiKeyFields('ANTHROPIC_API_KEY'),
    profile: z.enum(['fast', 'robust']).default('fast'),
    temperature: z.number().min(0).max(1).optional(),
    /** Output tokens per turn. */
    max_tokens: z.number().int().positive().default(4096),
    /** robust: 3 = scan, plan, implement; 2 = plan, implement; 1 = implement only. */
    max_turns: z.number().int().min(1).max(3).default(3),
    /** robust: input + output tokens of one generation after which preparatory turns are skipped. */
    token_budget: z.number().int().positive().optional(),
    timeout_seconds: z.number().positive().default(120),
    max_retries: z.number().int().nonnegative().max(10).default(3),
    stream: z.boolean().default(true),
    save_transcripts: z.boolean().default(true),
    pricing: pricingSchema.optional(),
    prompts: promptOptionsSchema.prefault({}),
    robust_prompts: z
      .object({
        scan: z.string().min(1).default(defaultRobustPrompts.scan),
        plan: z.string().min(1).default(defaultRobustPrompts.plan),
        implement: z.string().min(1).default(defaultRobustPrompts.implement),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type AnthropicSection = z.output<typeof anthropicSectionSchema>;

const messageSchema = z.object({
  content: z.array(z.object({ type: z.string(), text: z.string().optional() })),
  stop_reason: z.string().nullish(),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number() }).nullish(),
});

function reply(message: unknown): ChatReply {
  const { content, stop_reason, usage } = parseAnswer(messageSchema, message, 'the answer', 'a message');
  return {
    // Thinking and tool blocks are not code sources; only text blocks are.
    text: content.flatMap((block) => (block.type === 'text' && block.text !== undefined ? [block.text] : [])).join(''),
    truncated: stop_reason === 'max_tokens',
    inputTokens: usage?.input_tokens,
    outputTokens: usage?.output_tokens,
  };
}

function claudeCalls(section: AnthropicSection, options: SdkClientOptions): SdkCalls {
  const client = new Anthropic(options);
  const params = (request: ChatRequest) => ({
    model: section.model,
    max_tokens: section.max_tokens,
    system: request.system,
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    ...(section.temperature === undefined ? {} : { temperature: section.temperature }),
  });

  return {
    async streamed(request) {
      const stream = client.messages.stream(params(request), { signal: request.signal });
      stream.on('text', (delta) => request.onText?.(delta));
      return reply(await stream.finalMessage());
    },
    single: async (request) => reply(await client.messages.create({ ...params(request), stream: false }, { signal: request.signal })),
  };
}

/** The turns of one generation: one call, or scan → plan → implement on a robust first attempt. */
export function anthropicTurns(section: AnthropicSection, input: GenerationInput): { system: string; turns: ConversationTurn[] } {
  const isRetry = input.attempt > 1 || input.errorChain.length > 0;
  if (section.profile === 'fast' || isRetry || section.max_turns === 1) {
    const prompt = buildPrompt(input.request, input.errorChain, section.prompts);
    return { system: prompt.system, turns: [{ name: section.profile === 'fast' ? 'single' : 'implement', content: prompt.user }] };
  }
  // The answer format belongs to the implement turn: earlier turns must not answer with code.
  const withoutFormat: PromptOptions = { ...section.prompts, omit: [...section.prompts.omit, 'output_format'] };
  const prompt = buildPrompt(input.request, input.errorChain, withoutFormat);
  const robust = section.robust_prompts;
  const preparation = section.max_turns === 3 ? [{ name: 'scan', text: robust.scan }, { name: 'plan', text: robust.plan }] : [{ name: 'plan', text: robust.plan }];
  const format = section.prompts.omit.includes('output_format') ? '' : `\n\n${section.prompts.output_format}`;
  const turns = [
    ...preparation.map((turn, index) => ({ name: turn.name, content: index === 0 ? `${prompt.user}\n\n${turn.text}` : turn.text })),
    { name: 'implement', content: `${robust.implement}${format}` },
  ];
  return { system: prompt.system, turns };
}

const claude: SdkVendor<AnthropicSection> = {
  baseUrl: { variable: 'ANTHROPIC_BASE_URL', vendorUrl: 'https://api.anthropic.com' },
  errors: { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError },
  calls: claudeCalls,
  turns: anthropicTurns,
};

export function createAnthropicGenerator(section: AnthropicSection, context: Pick<GeneratorContext, 'name' | 'env'>): CodeGenerator {
  return createSdkGenerator(claude, section, context);
}

export const anthropicGeneratorType = defineGeneratorType(anthropicSectionSchema, createAnthropicGenerator);
