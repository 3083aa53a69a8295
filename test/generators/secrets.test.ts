/**
 * The API key never reaches the execution folder: not through prompts, not
 * through answers (even from a server that echoes it back), not through
 * error messages. (That it is absent from the executed code's environment is
 * covered by the kernel tests.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGenerator, GenerationError } from '../../adapters/generators/index.ts';
import { parseConfig } from '../../config/load.ts';
import { tempDir } from '../support/temp.ts';
import { startFakeServer, type FakeServer, type RecordedRequest, type Reply } from './support/fake-server.ts';
import { generationInput } from './support/input.ts';
import * as anthropicWire from './support/anthropic-wire.ts';
import * as openAiWire from './support/openai-wire.ts';

const key = 'sk-live-DO-NOT-LEAK-4f9c2a7e1b';

/** The key as the server received it, whatever the header. */
function echoedKey(request: RecordedRequest): string {
  const header = request.headers.authorization ?? request.headers['x-api-key'] ?? '';
  return String(header).replace(/^Bearer /, '');
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(folder, entry))
    .filter((path) => statSync(path).isFile());
}

let server: FakeServer | undefined;
const folders: ReturnType<typeof tempDir>[] = [];
afterEach(async () => {
  await server?.close();
  for (const folder of folders.splice(0)) folder.remove();
});

const cases: { type: string; variable: string; replies: (request: RecordedRequest) => Reply[] }[] = [
  {
    type: 'basic',
    variable: 'OPENAI_API_KEY',
    replies: (request) => [
      openAiWire.streamedCompletion([`Using key ${echoedKey(request)}\n\`\`\`python\nresults = {"key": "${echoedKey(request)}"}\n\`\`\``]),
      openAiWire.completion(`No code. Your key is ${echoedKey(request)}.`),
      openAiWire.apiError(401, `Incorrect API key provided: ${echoedKey(request)}`),
    ],
  },
  {
    type: 'anthropic',
    variable: 'ANTHROPIC_API_KEY',
    replies: (request) => [
      anthropicWire.streamedMessage([`Using key ${echoedKey(request)}\n\`\`\`python\nresults = {"key": "${echoedKey(request)}"}\n\`\`\``]),
      anthropicWire.message(`No code. Your key is ${echoedKey(request)}.`),
      anthropicWire.apiError(401, 'authentication_error', `invalid key ${echoedKey(request)}`),
    ],
  },
];

describe.each(cases)('the $type generator keeps its key out of the execution folder', ({ type, variable, replies }) => {
  it('in prompts, answers, errors and progress', async () => {
    server = await startFakeServer((request, index) => {
      expect(echoedKey(request)).toBe(key); // the server did receive it: the test below can fail
      return replies(request)[index]!;
    });
    const config = parseConfig({
      execution: { code_generator: type, generators: { [type]: { base_url: `${server.url}${type === 'basic' ? '/v1' : ''}`, stream: true } } },
    });
    const generator = await createGenerator(config, undefined, { env: { [variable]: key } });
    const folder = tempDir();
    folders.push(folder);
    const progress: string[] = [];
    const seen: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const input = generationInput({ folder: folder.path, attempt, onProgress: (m) => progress.push(m) });
      try {
        const result = await generator.generateCode(input);
        seen.push(result.code, JSON.stringify(result.metadata));
      } catch (error) {
        expect(error).toBeInstanceOf(GenerationError);
        seen.push((error as GenerationError).message, (error as GenerationError).raw ?? '');
      }
    }
    expect(server.requests).toHaveLength(3);
    const files = filesUnder(folder.path);
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) expect(readFileSync(file, 'utf8'), file).not.toContain(key);
    for (const text of [...seen, ...progress]) expect(text).not.toContain(key);
    expect(seen.join('\n')).toContain('[redacted]');
  });
});
