/** Replies in the Anthropic Messages API wire format. */
import type { Reply, SseEvent } from './fake-server.ts';

const model = 'claude-test';

export function message(text: string, options: { stopReason?: string; usage?: [number, number] } = {}): Reply {
  const [input, output] = options.usage ?? [200, 60];
  return {
    kind: 'json',
    body: {
      id: 'msg_test',
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text }],
      stop_reason: options.stopReason ?? 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: input, output_tokens: output },
    },
  };
}

export function streamedMessage(deltas: readonly string[], options: { usage?: [number, number]; stopReason?: string } = {}): Reply {
  const [input, output] = options.usage ?? [200, 60];
  const event = (type: string, body: object): SseEvent => ({ event: type, data: JSON.stringify({ type, ...body }) });
  return {
    kind: 'sse',
    events: [
      event('message_start', {
        message: {
          id: 'msg_test',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: input, output_tokens: 1 },
        },
      }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ...deltas.map((text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: options.stopReason ?? 'end_turn', stop_sequence: null }, usage: { output_tokens: output } }),
      event('message_stop', {}),
    ],
  };
}

export function apiError(status: number, type: string, message: string, headers: Record<string, string> = {}): Reply {
  return { kind: 'json', status, headers, body: { type: 'error', error: { type, message } } };
}
