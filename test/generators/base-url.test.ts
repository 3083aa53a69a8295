/**
 * OPENAI_BASE_URL and ANTHROPIC_BASE_URL are the defaults of `base_url`: a
 * section without one sends its requests where the variable points (a real
 * SDK against a local server); a configured `base_url` still wins; a variable
 * that is not a URL is refused naming it.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createGenerator } from '../../adapters/generators/index.ts';
import { parseConfig } from '../../config/load.ts';
import { tempDir } from '../support/temp.ts';
import { message } from './support/anthropic-wire.ts';
import { startFakeServer, type FakeServer } from './support/fake-server.ts';
import { generationInput } from './support/input.ts';
import { completion } from './support/openai-wire.ts';

const answer = '```python\nresults = {"value": 1}\n```';
const servers: FakeServer[] = [];
const folder = tempDir();

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(() => folder.remove());

function configFor(type: 'basic' | 'anthropic', section: Record<string, unknown> = {}) {
  return parseConfig({ execution: { code_generator: 'llm', generators: { llm: { type, model: 'test-model', stream: false, ...section } } } });
}

describe('base_url defaults to the SDK variable', () => {
  it('basic: requests go to OPENAI_BASE_URL when the section has no base_url', async () => {
    const server = await startFakeServer([completion(answer)]);
    servers.push(server);
    const generator = await createGenerator(configFor('basic'), undefined, { env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${server.url}/v1` } });
    const result = await generator.generateCode(generationInput({ folder: folder.path }));
    expect(result.code).toContain('results');
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
  });

  it('anthropic: requests go to ANTHROPIC_BASE_URL when the section has no base_url', async () => {
    const server = await startFakeServer([message(answer)]);
    servers.push(server);
    const generator = await createGenerator(configFor('anthropic'), undefined, { env: { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: server.url } });
    await generator.generateCode(generationInput({ folder: folder.path }));
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/messages']);
  });

  it('a configured base_url wins over the variable', async () => {
    const configured = await startFakeServer([completion(answer)]);
    const elsewhere = await startFakeServer([]);
    servers.push(configured, elsewhere);
    const generator = await createGenerator(configFor('basic', { base_url: `${configured.url}/v1` }), undefined, {
      env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${elsewhere.url}/v1` },
    });
    await generator.generateCode(generationInput({ folder: folder.path }));
    expect(configured.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('refuses a variable that is not a URL, naming it and the setting it stands for', async () => {
    const built = createGenerator(configFor('basic'), undefined, { env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'localhost:8000' } });
    await expect(built).rejects.toThrow(/OPENAI_BASE_URL = "localhost:8000" \(the default of execution\.generators\.llm\.base_url\): expected an http\(s\) URL/);
  });
});
