/**
 * What the SDK-backed generators (basic, anthropic) share around their one
 * vendor-specific part, the API call: the key and base URL they resolve, the
 * client options both SDKs take under the same names, the classification of
 * SDK errors, and the conversation that turns the prompt into code. Each
 * vendor brings only its calls (single and streamed) and its turns.
 */
import type { z } from 'zod';
import { resolveApiKey, type ApiKeySettings } from './api-key.ts';
import { classifyApiError, type ApiCallContext, type SdkErrorClasses } from './api-errors.ts';
import { resolveBaseUrl, type BaseUrlSource } from './base-url.ts';
import { converse, type ChatModel, type ChatReply, type ChatRequest, type ConversationTurn, type Pricing } from './chat.ts';
import type { CodeGenerator, GenerationInput } from './generator.ts';
import type { GeneratorContext } from './registry.ts';
import { createTranscript } from './transcript.ts';

/** The section fields every SDK-backed type has. */
export interface SdkSection extends ApiKeySettings {
  base_url?: string | undefined;
  model: string;
  timeout_seconds: number;
  max_retries: number;
  stream: boolean;
  save_transcripts: boolean;
  pricing?: Pricing | undefined;
  /** Input + output tokens of one generation after which preparatory turns are skipped. */
  token_budget?: number | undefined;
}

/** The constructor options of both SDKs' clients. */
export interface SdkClientOptions {
  apiKey: string;
  baseURL: string;
  timeout: number;
  maxRetries: number;
  logLevel: 'off';
}

/** One vendor's API calls; any error they throw is classified by the caller. */
export interface SdkCalls {
  single(request: ChatRequest): Promise<ChatReply>;
  streamed(request: ChatRequest): Promise<ChatReply>;
}

export interface SdkVendor<S extends SdkSection> {
  baseUrl: BaseUrlSource;
  errors: SdkErrorClasses;
  calls(section: S, client: SdkClientOptions): SdkCalls;
  turns(section: S, input: GenerationInput): { system: string; turns: ConversationTurn[] };
}

/** An SDK's answer checked against what the generator reads of it; `expected` names what it should have been. */
export function parseAnswer<S extends z.ZodType>(schema: S, value: unknown, what: string, expected: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${what} is not ${expected} (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'unexpected'})`);
  }
  return result.data;
}

export function createSdkGenerator<S extends SdkSection>(
  vendor: SdkVendor<S>,
  section: S,
  context: Pick<GeneratorContext, 'name' | 'env'>,
): CodeGenerator {
  const key = resolveApiKey(section, context.name, context.env);
  const baseUrl = resolveBaseUrl(section.base_url, vendor.baseUrl, context.name, context.env);
  const call: ApiCallContext = {
    generator: context.name,
    endpoint: baseUrl,
    model: section.model,
    keySource: key.source,
    timeoutSeconds: section.timeout_seconds,
    maxRetries: section.max_retries,
    secrets: [key.value],
  };
  const calls = vendor.calls(section, {
    apiKey: key.value,
    baseURL: baseUrl,
    timeout: section.timeout_seconds * 1000,
    maxRetries: section.max_retries,
    logLevel: 'off',
  });
  const model: ChatModel = {
    model: section.model,
    async send(request) {
      try {
        return await (section.stream ? calls.streamed(request) : calls.single(request));
      } catch (error) {
        throw classifyApiError(error, vendor.errors, call);
      }
    },
  };
  return {
    name: context.name,
    generateCode(input) {
      const { system, turns } = vendor.turns(section, input);
      return converse(
        {
          generator: context.name,
          model,
          system,
          turns,
          tokenBudget: section.token_budget,
          pricing: section.pricing,
          secrets: [key.value],
          transcript: createTranscript({
            folder: input.folder,
            attempt: input.attempt,
            enabled: section.save_transcripts,
            secrets: [key.value],
          }),
        },
        input,
      );
    },
  };
}
