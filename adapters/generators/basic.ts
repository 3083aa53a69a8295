/**
 * `basic`: any OpenAI-compatible chat completions API through the openai SDK
 * — OpenAI itself, vLLM, Ollama, llama.cpp's server, LiteLLM and the like.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { apiKeyFields } from './api-key.ts';
import { pricingSchema, type ChatReply, type ChatRequest } from './chat.ts';
import type { CodeGenerator } from './generator.ts';
import { buildPrompt, promptOptionsSchema } from './prompt.ts';
import { defineGeneratorType, type GeneratorContext } from './registry.ts';
import { createSdkGenerator, parseAnswer, type SdkCalls, type SdkClientOptions, type SdkVendor } from './sdk-generator.ts';

export const basicSectionSchema = z
  .object({
    /** Default: $OPENAI_BASE_URL when set, else https://api.openai.com/v1 (base-url.ts). */
    base_url: z.string().url().optional(),
    model: z.string().min(1).default('gpt-4.1-mini'),
    ...apiKeyFields('OPENAI_API_KEY'),
    /** Left out of the request when unset: reasoning models accept only their default. */
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().default(4096),
    /** Newer OpenAI models take `max_completion_tokens`; most other servers `max_tokens`. */
    max_tokens_field: z.enum(['max_tokens', 'max_completion_tokens']).default('max_tokens'),
    timeout_seconds: z.number().positive().default(120),
    /** Retries of 408/409/429/5xx, timeouts and refused connections, with exponential backoff. */
    max_retries: z.number().int().nonnegative().max(10).default(3),
    stream: z.boolean().default(true),
    /** Save prompts and raw answers under <execution folder>/generation/. */
    save_transcripts: z.boolean().default(true),
    pricing: pricingSchema.optional(),
    /** Extra request fields for a server (vLLM `top_k`, `chat_template_kwargs`, ...). */
    extra_body: z.record(z.string(), z.unknown()).default({}),
    prompts: promptOptionsSchema.prefault({}),
  })
  .strict();
export type BasicSection = z.output<typeof basicSectionSchema>;

const usageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish();

const completionSchema = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullish() }), finish_reason: z.string().nullish() }))
    .min(1, 'must hold at least one choice'),
  usage: usageSchema,
});

const chunkSchema = z.object({
  choices: z
    .array(z.object({ delta: z.object({ content: z.string().nullish() }).nullish(), finish_reason: z.string().nullish() }))
    .default([]),
  usage: usageSchema,
});

function reply(text: string, finishReason: string | null | undefined, usage: z.output<typeof usageSchema>): ChatReply {
  return {
    text,
    truncated: finishReason === 'length',
    inputTokens: usage?.prompt_tokens,
    outputTokens: usage?.completion_tokens,
  };
}

function openAiCalls(section: BasicSection, options: SdkClientOptions): SdkCalls {
  const client = new OpenAI(options);
  const body = (request: ChatRequest) => ({
    ...section.extra_body,
    model: section.model,
    messages: [{ role: 'system', content: request.system }, ...request.messages] satisfies ChatCompletionMessageParam[],
    [section.max_tokens_field]: section.max_tokens,
    ...(section.temperature === undefined ? {} : { temperature: section.temperature }),
  });

  return {
    async single(request) {
      const raw: unknown = await client.chat.completions.create({ ...body(request), stream: false }, { signal: request.signal });
      const completion = parseAnswer(completionSchema, raw, 'the answer', 'a chat completion');
      const choice = completion.choices[0]!;
      return reply(choice.message.content ?? '', choice.finish_reason, completion.usage);
    },

    async streamed(request) {
      const stream = await client.chat.completions.create(
        { ...body(request), stream: true, stream_options: { include_usage: true } },
        { signal: request.signal },
      );
      let text = '';
      let finishReason: string | null | undefined;
      let usage: z.output<typeof usageSchema>;
      for await (const raw of stream) {
        const chunk = parseAnswer(chunkSchema, raw, 'a streamed chunk', 'a chat completion');
        const delta = chunk.choices[0]?.delta?.content ?? '';
        if (delta) {
          text += delta;
          request.onText?.(delta);
        }
        finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
        usage = chunk.usage ?? usage;
      }
      // Every server sends a finish reason last; without one the stream was cut or was not a completion stream.
      if (finishReason === undefined) throw new Error('the stream ended before the completion finished');
      return reply(text, finishReason, usage);
    },
  };
}

const openAi: SdkVendor<BasicSection> = {
  baseUrl: { variable: 'OPENAI_BASE_URL', vendorUrl: 'https://api.openai.com/v1' },
  errors: { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError },
  calls: openAiCalls,
  turns(section, input) {
    const prompt = buildPrompt(input.request, input.errorChain, section.prompts);
    return { system: prompt.system, turns: [{ name: 'single', content: prompt.user }] };
  },
};

export function createBasicGenerator(section: BasicSection, context: Pick<GeneratorContext, 'name' | 'env'>): CodeGenerator {
  return createSdkGenerator(openAi, section, context);
}

export const basicGeneratorType = defineGeneratorType(basicSectionSchema, createBasicGenerator);
