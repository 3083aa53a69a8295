/**
 * The factory: sections, types, key paths in errors, missing keys, custom
 * generators loaded from config, and the hybrid composition.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGenerator, GenerationError, GeneratorConfigError } from '../../adapters/generators/index.ts';
import { ConfigError, parseConfig } from '../../config/load.ts';
import { generationInput, runtimeFailure } from './support/input.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = './fixtures/custom-generators.ts';

function config(generators: Record<string, unknown>, codeGenerator = 'main') {
  return parseConfig({ execution: { code_generator: codeGenerator, generators } });
}

async function configError(promise: Promise<unknown>): Promise<GeneratorConfigError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(GeneratorConfigError);
  expect(error).toBeInstanceOf(ConfigError); // the CLI prints every ConfigError the same way
  return error as GeneratorConfigError;
}

const input = (attempt = 1) =>
  generationInput({ folder: '', attempt, errorChain: attempt > 1 ? [runtimeFailure(attempt - 1, 'Traceback ...')] : [] });

describe('createGenerator', () => {
  it('builds the mock generator by default, with its section', async () => {
    const byDefault = await createGenerator(parseConfig({}));
    expect((await byDefault.generateCode(input())).metadata.model).toBe('mock:success');
    const configured = await createGenerator(config({ mock: { behavior: 'runtime_error' } }, 'mock'));
    expect((await configured.generateCode(input())).code).toContain('values[10]');
  });

  it('builds a named section by its type', async () => {
    const generator = await createGenerator(config({ main: { type: 'mock', behavior: 'epics_read' } }));
    expect((await generator.generateCode(input())).code).toContain('caget');
  });

  it('builds a generator other than the configured default when asked by name', async () => {
    const generator = await createGenerator(config({ other: { type: 'mock', behavior: 'missing_results' } }), 'other');
    expect((await generator.generateCode(input())).code).toContain('print(value)');
  });

  it('names the key path of an invalid field', async () => {
    const error = await configError(
      createGenerator(config({ main: { type: 'basic', temperature: 'hot', max_tokens: -1, colour: 'blue' } }), undefined, {
        env: { OPENAI_API_KEY: 'k' },
      }),
    );
    expect(error.message).toContain('execution.generators.main.temperature = "hot"');
    expect(error.message).toContain('execution.generators.main.max_tokens = -1');
    expect(error.message).toContain('execution.generators.main.colour: unknown key');
  });

  it('never shows an API key in a configuration error', async () => {
    const error = await configError(createGenerator(config({ main: { type: 'basic', api_key: 'sk-secret-value', model: '' } })));
    expect(error.message).toContain('execution.generators.main.model');
    expect(error.message).not.toContain('sk-secret-value');
  });

  it('rejects an unknown generator name and an unknown type', async () => {
    const unknownName = await configError(createGenerator(config({}, 'gpt5')));
    expect(unknownName.message).toContain('execution.code_generator = "gpt5": no such generator');
    const unknownType = await configError(createGenerator(config({ main: { type: 'openai' } })));
    expect(unknownType.message).toContain('execution.generators.main.type = "openai": unknown generator type');
    const noType = await configError(createGenerator(config({ main: { model: 'x' } })));
    expect(noType.message).toContain('execution.generators.main.type: missing');
  });

  it.each([
    ['basic', 'OPENAI_API_KEY'],
    ['anthropic', 'ANTHROPIC_API_KEY'],
  ])('says exactly which variable to set when %s has no API key', async (type, variable) => {
    const error = await configError(createGenerator(config({}, type), undefined, { env: {} }));
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(`set the environment variable ${variable}`);
    const renamed = await configError(createGenerator(config({ main: { type, api_key_env: 'SITE_LLM_KEY' } }), undefined, { env: {} }));
    expect(renamed.variable).toBe('SITE_LLM_KEY');
    expect(renamed.message).toContain('set the environment variable SITE_LLM_KEY');
  });

  it('reads the key from an interpolated api_key, or needs none for a local server', async () => {
    const interpolated = parseConfig(
      { execution: { code_generator: 'main', generators: { main: { type: 'basic', api_key: '${SITE_KEY}' } } } },
      'inline',
      { SITE_KEY: 'sk-from-env' },
    );
    await expect(createGenerator(interpolated, undefined, { env: {} })).resolves.toHaveProperty('name', 'main');
    await expect(
      createGenerator(config({ main: { type: 'basic', base_url: 'http://127.0.0.1:11434/v1', api_key_required: false } }), undefined, { env: {} }),
    ).resolves.toHaveProperty('name', 'main');
  });
});

describe('custom generators', () => {
  const custom = (section: Record<string, unknown>) =>
    createGenerator(config({ main: { type: 'custom', module: fixtures, ...section } }), undefined, { cwd: here });

  it('loads a factory by module path and export name, passing its options', async () => {
    const generator = await custom({ export: 'createConstantGenerator', options: { value: 42 } });
    expect(generator.name).toBe('main');
    const result = await generator.generateCode(input(2));
    expect(result.code).toBe('results = {"value": 42, "failures_seen": 1}\n');
    expect(result.metadata).toEqual({ generator: 'main', model: 'constant' });
  });

  it('loads a generator object, from an absolute path too', async () => {
    const generator = await createGenerator(
      config({ main: { type: 'custom', module: join(here, 'fixtures', 'custom-generators.ts'), export: 'fixedGenerator' } }),
    );
    expect((await generator.generateCode(input())).code).toBe('results = {"fixed": True}\n');
  });

  it('fails clearly when the module is missing', async () => {
    const error = await configError(custom({ module: './fixtures/nowhere.ts' }));
    expect(error.keyPath).toBe('execution.generators.main.module');
    expect(error.message).toContain('cannot load "./fixtures/nowhere.ts"');
  });

  it('fails clearly when the export is missing, listing what there is', async () => {
    const error = await configError(custom({ export: 'createGenerator' }));
    expect(error.keyPath).toBe('execution.generators.main.export');
    expect(error.message).toContain('has no export "createGenerator"');
    expect(error.message).toContain('createConstantGenerator');
  });

  it.each([
    ['notAGenerator', 'is a value of type object'],
    ['factoryReturningNothing', 'returned something that is not a CodeGenerator'],
  ])('fails clearly when %s does not implement the interface', async (name, why) => {
    const error = await configError(custom({ export: name }));
    expect(error.message).toContain(`"${name}" of "${fixtures}" ${why}`);
    expect(error.message).toContain('expected an object with generateCode(input)');
  });

  it('checks every answer of a custom generator', async () => {
    const sloppy = await custom({ export: 'sloppyGenerator' });
    const wrongShape = await sloppy.generateCode(input()).catch((error: unknown) => error);
    expect(wrongShape).toBeInstanceOf(GenerationError);
    expect(wrongShape).toMatchObject({ kind: 'configuration', message: expect.stringContaining('custom generator "main" gave an invalid answer (code:') });
    const throwing = await custom({ export: 'throwingGenerator' });
    const thrown = await throwing.generateCode(input()).catch((error: unknown) => error);
    expect(thrown).toMatchObject({ kind: 'infrastructure', message: 'custom generator "main" failed: socket hang up' });
  });
});

describe('hybrid generator', () => {
  it('uses the first generator for attempt 1 and the second for retries', async () => {
    const generator = await createGenerator(
      config({
        main: { type: 'hybrid', first: 'cheap', retries: 'strong' },
        cheap: { type: 'mock', behavior: 'runtime_error' },
        strong: { type: 'custom', module: fixtures, export: 'createConstantGenerator', options: { value: 'fixed' } },
      }),
      undefined,
      { cwd: here },
    );
    const first = await generator.generateCode(input(1));
    expect(first.code).toContain('values[10]');
    expect(first.metadata).toMatchObject({ generator: 'mock', hybrid: 'main' });
    const retry = await generator.generateCode(input(2));
    expect(retry.code).toContain('"value": "fixed"');
    expect(retry.metadata).toMatchObject({ generator: 'strong', hybrid: 'main' });
  });

  it('names the key path of a missing part and refuses a cycle', async () => {
    const missing = await configError(createGenerator(config({ main: { type: 'hybrid', first: 'mock', retries: 'nowhere' } })));
    expect(missing.message).toContain('execution.generators.main.retries = "nowhere": no such generator');
    const cycle = await configError(
      createGenerator(config({ main: { type: 'hybrid', first: 'mock', retries: 'other' }, other: { type: 'hybrid', first: 'main', retries: 'mock' } })),
    );
    expect(cycle.message).toContain('refers back to itself (main → other → main)');
  });
});
