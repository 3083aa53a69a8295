/** Replies in the OpenAI chat completions wire format (as OpenAI, vLLM, Ollama and llama.cpp send them). */
import type { Reply, SseEvent } from './fake-server.ts';

const base = { id: 'chatcmpl-test', created: 1_700_000_000, model: 'test-model' };

export function completion(content: string | null, options: { finishReason?: string; usage?: [number, number] } = {}): Reply {
  const [prompt, completionTokens] = options.usage ?? [120, 40];
  return {
    kind: 'json',
    body: {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: options.finishReason ?? 'stop' }],
      usage: { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens },
    },
  };
}

export function streamedCompletion(deltas: readonly string[], options: { usage?: [number, number]; finishReason?: string } = {}): Reply {
  const [prompt, completionTokens] = options.usage ?? [120, 40];
  const chunk = (choices: unknown[], usage: unknown = null): SseEvent => ({
    data: JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, usage }),
  });
  return {
    kind: 'sse',
    events: [
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
      ...deltas.map((content) => chunk([{ index: 0, delta: { content }, finish_reason: null }])),
      chunk([{ index: 0, delta: {}, finish_reason: options.finishReason ?? 'stop' }]),
      chunk([], { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens }),
      { data: '[DONE]' },
    ],
  };
}

export function apiError(status: number, message: string, headers: Record<string, string> = {}): Reply {
  return { kind: 'json', status, headers, body: { error: { message, type: 'error', code: null } } };
}
