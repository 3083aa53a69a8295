/**
 * The `anthropic` generator drives the real @anthropic-ai/sdk against a local
 * server speaking the Messages API wire format (JSON and server-sent events).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGenerator } from '../../adapters/generators/index.ts';
import { parseConfig } from '../../config/load.ts';
import { apiError, message, streamedMessage } from './support/anthropic-wire.ts';
import { serverPerTest, type Script } from './support/fake-server.ts';
import { failure } from './support/failure.ts';
import { generationInput, runtimeFailure } from './support/input.ts';

const key = 'sk-ant-test-0123456789';
const code = 'results = {"mean": sum(context["current"]) / len(context["current"])}\n';
const answer = `<thinking>The mean is a sum over a count.</thinking>\n\`\`\`python\n${code}\`\`\``;

interface SentBody {
  model: string;
  max_tokens: number;
  system: string;
  messages: { role: string; content: string }[];
  stream?: boolean;
}

const bed = serverPerTest();

async function generator(script: Script, section: Record<string, unknown> = {}) {
  const server = await bed.start(script);
  const config = parseConfig({
    execution: {
      code_generator: 'anthropic',
      generators: { anthropic: { base_url: server.url, model: 'claude-test', ...section } },
    },
  });
  return createGenerator(config, undefined, { env: { ANTHROPIC_API_KEY: key } });
}

const sent = (index: number) => bed.server.requests[index]!.body as SentBody;

describe('anthropic generator, fast profile', () => {
  it('streams the answer as progress and extracts the code past the thinking text', async () => {
    const deltas = ['<thinking>The mean is a sum', ' over a count.</thinking>\n```python\n', code, '```'];
    const gen = await generator([streamedMessage(deltas, { usage: [250, 70] })], { max_tokens: 1234, temperature: 0 });
    const progress: string[] = [];
    const result = await gen.generateCode(
      generationInput({ folder: bed.folder, request: { context: { current: [1.5, 2.5] } }, onProgress: (m) => progress.push(m) }),
    );
    expect(result.code).toBe(code);
    expect(progress.join('')).toBe(deltas.join(''));
    expect(result.metadata).toMatchObject({ generator: 'anthropic', model: 'claude-test', input_tokens: 250, output_tokens: 70 });
    const request = bed.server.requests[0]!;
    expect(request.path).toBe('/v1/messages');
    expect(request.headers.authorization ?? request.headers['x-api-key']).toContain(key);
    expect(sent(0)).toMatchObject({ model: 'claude-test', max_tokens: 1234, temperature: 0, stream: true });
    expect(sent(0).system).toContain('Python');
    expect(sent(0).messages).toHaveLength(1);
    expect(sent(0).messages[0]!.content).toContain('context["current"]: list of 2 float');
    expect(sent(0).messages[0]!.content).not.toContain('1.5');
  });

  it('works without streaming', async () => {
    const gen = await generator([message(answer, { usage: [11, 22] })], { stream: false });
    const result = await gen.generateCode(generationInput({ folder: bed.folder }));
    expect(result.code).toBe(code);
    expect(result.metadata).toMatchObject({ input_tokens: 11, output_tokens: 22 });
    expect(sent(0).stream).toBeFalsy();
  });

  it('retries a 429 and an overloaded 529, then succeeds', async () => {
    const gen = await generator([
      apiError(429, 'rate_limit_error', 'slow down', { 'retry-after-ms': '20' }),
      apiError(529, 'overloaded_error', 'Overloaded', { 'retry-after-ms': '20' }),
      streamedMessage([answer]),
    ]);
    const result = await gen.generateCode(generationInput({ folder: bed.folder }));
    expect(result.code).toBe(code);
    expect(bed.server.requests).toHaveLength(3);
  });

  it('fails fast on a rejected key', async () => {
    const gen = await generator(() => apiError(401, 'authentication_error', 'invalid x-api-key'));
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('configuration');
    expect(error.message).toContain('ANTHROPIC_API_KEY');
    expect(bed.server.requests).toHaveLength(1);
  });

  it('fails fast on an unknown model', async () => {
    const gen = await generator(() => apiError(404, 'not_found_error', 'model: claude-test'));
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('configuration');
    expect(error.message).toContain('does not know model "claude-test"');
  });

  it('reports a malformed message as infrastructure and an answer without code as unusable', async () => {
    const broken = await generator([{ kind: 'json', body: { type: 'message', content: 'not a list' } }], { stream: false, max_retries: 0 });
    expect((await failure(broken.generateCode(generationInput({ folder: bed.folder })))).kind).toBe('infrastructure');
    await bed.server.close();

    const prose = 'The context holds no beam current, so I cannot compute its mean.';
    const gen = await generator([streamedMessage([prose])]);
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('unusable');
    expect(error.raw).toBe(prose);
  });

  it('times out a silent server as an infrastructure error', async () => {
    const gen = await generator(() => ({ kind: 'hang' }), { timeout_seconds: 0.3, max_retries: 0 });
    const error = await failure(gen.generateCode(generationInput({ folder: bed.folder })));
    expect(error.kind).toBe('infrastructure');
  });
});

describe('anthropic generator, robust profile', () => {
  const scan = 'The task needs context["current"]; nothing is missing.';
  const plan = '1. read the list 2. average it 3. store it in results';

  it('scans, plans and implements as turns of one conversation', async () => {
    const gen = await generator([streamedMessage([scan]), streamedMessage([plan]), streamedMessage([answer])], { profile: 'robust' });
    const result = await gen.generateCode(generationInput({ folder: bed.folder }));
    expect(result.code).toBe(code);
    expect(result.metadata).toMatchObject({ turns: 3, input_tokens: 600, output_tokens: 180 });
    expect(sent(0).messages).toHaveLength(1);
    expect(sent(0).messages[0]!.content).toContain('scan the task');
    expect(sent(0).messages[0]!.content).not.toContain('```python fenced block');
    expect(sent(1).messages.map((m) => m.content)).toEqual([sent(0).messages[0]!.content, scan, expect.stringContaining('plan the script')]);
    expect(sent(2).messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(sent(2).messages[3]!.content).toBe(plan);
    expect(sent(2).messages[4]!.content).toContain('```python fenced block');
    const saved = readdirSync(join(bed.folder, 'generation')).sort();
    expect(saved).toEqual([
      '01_implement.prompt.md',
      '01_implement.response.md',
      '01_plan.prompt.md',
      '01_plan.response.md',
      '01_scan.prompt.md',
      '01_scan.response.md',
    ]);
  });

  it('only implements on a retry, with the error chain in the prompt', async () => {
    const gen = await generator([streamedMessage([answer])], { profile: 'robust' });
    const chain = [runtimeFailure(1, 'Traceback (most recent call last):\nKeyError: \'missing\'')];
    await gen.generateCode(generationInput({ folder: bed.folder, attempt: 2, errorChain: chain }));
    expect(bed.server.requests).toHaveLength(1);
    expect(sent(0).messages[0]!.content).toContain('## Previous attempts');
    expect(sent(0).messages[0]!.content).toContain('```python fenced block');
  });

  it('skips to implementing once the token budget is spent', async () => {
    const gen = await generator([streamedMessage([scan], { usage: [900, 200] }), streamedMessage([answer])], {
      profile: 'robust',
      token_budget: 1000,
    });
    const result = await gen.generateCode(generationInput({ folder: bed.folder }));
    expect(result.code).toBe(code);
    expect(result.metadata).toMatchObject({ turns: 2 });
    expect(sent(1).messages[2]!.content).toContain('Now write the script');
  });

  it('plans then implements with max_turns 2', async () => {
    const gen = await generator([streamedMessage([plan]), streamedMessage([answer])], { profile: 'robust', max_turns: 2 });
    await gen.generateCode(generationInput({ folder: bed.folder }));
    expect(sent(0).messages[0]!.content).toContain('plan the script');
    expect(sent(0).messages[0]!.content).not.toContain('scan the task');
    expect(bed.server.requests).toHaveLength(2);
  });
});
