/**
 * The `basic` generator drives the real openai SDK against a local server
 * speaking the chat completions wire format (JSON and server-sent events).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGenerator } from '../../adapters/generators/index.ts';
import { parseConfig } from '../../config/load.ts';
import { tempDir } from '../support/temp.ts';
import { serverPerTest, type Script } from './support/fake-server.ts';
import { failure } from './support/failure.ts';
import { generationInput, runtimeFailure } from './support/input.ts';
import { apiError, completion, streamedCompletion } from './support/openai-wire.ts';

const key = 'sk-test-0123456789abcdef';
const code = 'import math\nresults = {"mean": math.fsum([1.0, 2.0]) / 2}\n';
const answer = `Here is the script:\n\n\`\`\`python\n${code}\`\`\`\n\nIt averages the values.`;

const bed = serverPerTest();

async function generator(script: Script, section: Record<string, unknown> = {}) {
  const server = await bed.start(script);
  const config = parseConfig({
    execution: {
      code_generator: 'local',
      generators: {
        local: { type: 'basic', base_url: `${server.url}/v1`, model: 'test-model', api_key_env: 'TEST_LLM_KEY', ...section },
      },
    },
  });
  return createGenerator(config, undefined, { env: { TEST_LLM_KEY: key } });
}

describe('basic generator (OpenAI-compatible)', () => {
  it('sends the prompt with the configured parameters and returns the extracted code with usage', async () => {
    const gen = await generator([completion(answer, { usage: [321, 54] })], {
      stream: false,
      temperature: 0.1,
      max_tokens: 777,
      pricing: { input_per_million: 1, output_per_million: 4 },
    });
    const result = await gen.generateCode(generationInput({ folder: bed.folder }));
    expect(result.code).toBe(code);
    expect(result.metadata).toMatchObject({ generator: 'local', model: 'test-model', input_tokens: 321, output_tokens: 54, turns: 1 });
    expect(result.metadata.cost_usd).toBeCloseTo((321 * 1 + 54 * 4) / 1e6, 12);
    const request = bed.server.requests[0]!;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe(`Bearer ${key}`);
    expect(request.body).toMatchObject({ model: 'test-model', temperature: 0.1, max_tokens: 777, stream: false });
    const messages = (request.body as { messages: { role: string; content: string }[] }).messages;
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[1]!.content).toContain('Compute the mean beam current');
  });

  it('streams tokens as progress events whose concatenation is the answer', async () => {
    const deltas = ['Sure.\n```py', 'thon\nimport math\n', 'results = {"mean": ', 'math.fsum([1.0, 2.0]) / 2}\n', '```\n'];
    const gen = await generator([streamedCompletion(deltas, { usage: [10, 20] })]);
    const progress: string[] = [];
    const result = await gen.generateCode(generationInput({ folder: bed.folder, onProgress: (m) => progress.push(m) }));
    expect(result.code).toBe(code);
    expect(progress.join('')).toBe(deltas.join(''));
    expect(result.metadata).toMatchObject({ input_tokens: 10, output_tokens: 20, extraction: 'fenced' });
    expect(bed.server.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('retries after a 429 and a 500, then succeeds', async () => {
    const gen = await generator([
      apiError(429, 'Rate limit reached', { 'retry-after-ms': '20' }),
      apiError(500, 'Internal error', { 'retry-after-ms': '20' }),
      streamedCompletion([answer]),
    ]);
    const result = await gen.generateCode(generationInput({ folder: bed.folder }));
    expect(result.code).toBe(code);
    expect(bed.server.requests).toHaveLength(3);
  });

  it('reports an infrastructure error once the retries are spent', async () => {
    const gen = await generator(() => apiError(503, 'overloaded', { 'retry-after-ms': '10' }), { max_retries: 2 });
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('infrastructure');
    expect(error.message).toContain('after 3 tries');
    expect(error.message).toContain('overloaded');
    expect(bed.server.requests).toHaveLength(3);
  });

  it('times out a silent server as an infrastructure error', async () => {
    const gen = await generator(() => ({ kind: 'hang' }), { timeout_seconds: 0.3, max_retries: 0 });
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('infrastructure');
    expect(error.message).toMatch(/did not answer within 0.3 s/);
  });

  it('reports a refused connection as an infrastructure error', async () => {
    const gen = await generator([], { max_retries: 0 });
    await bed.server.close();
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('infrastructure');
    expect(error.message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it.each([
    ['a body that is not JSON', { kind: 'raw', contentType: 'application/json', body: '{"choices": [' } as const],
    ['JSON that is not a completion', { kind: 'json', body: { object: 'list', data: [] } } as const],
    ['an HTML error page', { kind: 'raw', contentType: 'text/html', body: '<html>Bad gateway</html>' } as const],
  ])('reports %s as a malformed answer (infrastructure)', async (_label, reply) => {
    const gen = await generator([reply], { stream: false, max_retries: 0 });
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('infrastructure');
    expect(error.message).toContain('malformed answer');
  });

  it.each([
    ['a broken event', { kind: 'sse', events: [{ data: '{"choices": [{"delta": {"content": "imp' }] } as const],
    ['a JSON body instead of events', completion(answer)],
  ])('reports a stream with %s as a malformed answer', async (_label, reply) => {
    const gen = await generator([reply], { max_retries: 0 });
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('infrastructure');
    expect(error.message).toContain('malformed answer');
  });

  it('fails an answer without code as unusable and keeps the raw text', async () => {
    const prose = 'I am sorry, but I need more information about which beam current you mean.';
    const gen = await generator([streamedCompletion([prose])]);
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('unusable');
    expect(error.raw).toBe(prose);
    expect(error.message).toContain('without Python code');
  });

  it('fails fast on a rejected key, naming where the key came from, without showing it', async () => {
    const gen = await generator(() => apiError(401, `Incorrect API key provided: ${key}`));
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('configuration');
    expect(error.message).toContain('rejected the API key');
    expect(error.message).toContain('TEST_LLM_KEY');
    expect(error.message).not.toContain(key);
    expect(bed.server.requests).toHaveLength(1);
  });

  it('fails fast on an unknown model', async () => {
    const gen = await generator(() => apiError(404, 'The model `test-model` does not exist.'));
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('configuration');
    expect(error.message).toContain('does not know model "test-model"');
    expect(bed.server.requests).toHaveLength(1);
  });

  it('hands the error chain to the second prompt, traceback cut to head and tail', async () => {
    const frames = Array.from({ length: 200 }, (_, i) => `  File "lib.py", line ${i}, in frame_${i}`);
    const traceback = ['Traceback (most recent call last):', ...frames, "KeyError: 'missing'"].join('\n');
    const gen = await generator([completion(answer), completion(answer)], { stream: false });
    await gen.generateCode(generationInput({ folder: bed.folder }));
    await gen.generateCode(generationInput({ folder: bed.folder, attempt: 2, errorChain: [runtimeFailure(1, traceback)] }));
    const prompts = bed.server.requests.map((r) => (r.body as { messages: { content: string }[] }).messages[1]!.content);
    expect(prompts[0]).not.toContain('Previous attempts');
    expect(prompts[1]).toContain('## Previous attempts');
    expect(prompts[1]).toContain("Attempt 1: execution failed — KeyError: 'missing'");
    expect(prompts[1]).toContain('Traceback (most recent call last):');
    expect(prompts[1]).toContain("KeyError: 'missing'");
    expect(prompts[1]).toContain('frame_0');
    expect(prompts[1]).toContain('frame_199');
    expect(prompts[1]).not.toContain('frame_100');
    expect(prompts[1]).toMatch(/lines omitted/);
    expect(prompts[1]).toContain('results = {"value": data["missing"]}');
  });

  it('saves prompts and raw answers to the execution folder, and not when disabled', async () => {
    const gen = await generator([completion(answer)], { stream: false });
    await gen.generateCode(generationInput({ folder: bed.folder, attempt: 2 }));
    const saved = readdirSync(join(bed.folder, 'generation')).sort();
    expect(saved).toEqual(['02_single.prompt.md', '02_single.response.md']);
    expect(readFileSync(join(bed.folder, 'generation', '02_single.response.md'), 'utf8')).toBe(`${answer}\n`);
    expect(readFileSync(join(bed.folder, 'generation', '02_single.prompt.md'), 'utf8')).toMatch(/^# system\n\n.*\n\n# user\n\n## Task/s);

    await bed.server.close();
    const quiet = tempDir();
    try {
      const silent = await generator([completion(answer)], { stream: false, save_transcripts: false });
      await silent.generateCode(generationInput({ folder: quiet.path }));
      expect(readdirSync(quiet.path)).toEqual([]);
    } finally {
      quiet.remove();
    }
  });

  it('keeps code cut off at the token limit and says so', async () => {
    const gen = await generator([streamedCompletion(['```python\nimport math\nresults = {"pi": math.'], { finishReason: 'length' })]);
    const result = await gen.generateCode(generationInput({ folder: bed.folder }));
    expect(result.code).toBe('import math\nresults = {"pi": math.\n');
    expect(result.metadata).toMatchObject({ extraction: 'unterminated', truncated: true });
  });

  it('stops when the execution is cancelled', async () => {
    const gen = await generator(() => ({ kind: 'hang' }), { timeout_seconds: 30 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder, signal: controller.signal })));
    expect(error.kind).toBe('infrastructure');
    expect(error.message).toContain('aborted');
  });

  it('passes extra body fields and max_completion_tokens to the server', async () => {
    const gen = await generator([completion(answer)], {
      stream: false,
      max_tokens_field: 'max_completion_tokens',
      max_tokens: 99,
      extra_body: { top_k: 20, chat_template_kwargs: { enable_thinking: false } },
    });
    await gen.generateCode(generationInput({ folder: bed.folder }));
    const body = bed.server.requests[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({ max_completion_tokens: 99, top_k: 20, chat_template_kwargs: { enable_thinking: false } });
    expect(body).not.toHaveProperty('max_tokens');
    expect(body).not.toHaveProperty('temperature');
  });
});
