/** Prompt building: parts, overrides, the context description and the error chain. */
import { describe, expect, it } from 'vitest';
import { errorChainEntrySchema, executionRequestSchema, type ErrorChainEntry } from '../../protocol/public.ts';
import { describeContext } from '../../adapters/generators/context-shape.ts';
import { buildPrompt, cutTraceback, promptOptionsSchema } from '../../adapters/generators/prompt.ts';

const request = executionRequestSchema.parse({
  task_objective: 'Plot the beam current of the last hour and give its mean',
  user_query: 'how did the beam behave?',
  expected_results: { mean_current: 'mean beam current in mA' },
  capability_prompts: ['Archiver data is in context["archiver"].'],
  context: {
    archiver: { timestamps: ['2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z'], current_ma: [401.25, 400.75], units: 'mA' },
    pvs: ['SR:DCCT:CURRENT'],
  },
});

function failure(attempt: number, overrides: Partial<ErrorChainEntry> = {}): ErrorChainEntry {
  return errorChainEntrySchema.parse({
    stage: 'execution',
    attempt,
    type: 'ValueError',
    message: `failure number ${attempt}`,
    at: '2024-01-01T00:00:00Z',
    ...overrides,
  });
}

const defaults = promptOptionsSchema.parse({});

describe('buildPrompt', () => {
  it('holds role, task, query, expected results, capabilities, context, requirements and format, in order', () => {
    const { system, user } = buildPrompt(request, [], defaults);
    expect(system).toContain('particle accelerator');
    const order = ['## Task', "## The user's request", '## Expected results', '## Capability instructions', '## Available data', '## Requirements', '## Answer format'];
    const positions = order.map((heading) => user.indexOf(heading));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(user).toContain('- `mean_current`: mean beam current in mA');
    expect(user).toContain('Archiver data is in context["archiver"].');
    expect(user).toMatch(/`results`/);
    expect(user).not.toContain('## Previous attempts');
  });

  it('describes the context by keys, types and shapes, never values', () => {
    const { user } = buildPrompt(request, [], defaults);
    expect(user).toContain('context["archiver"]: dict with 3 keys');
    expect(user).toContain('["current_ma"]: list of 2 float');
    expect(user).toContain('["units"]: str');
    expect(user).toContain('context["pvs"]: list of 1 str');
    for (const value of ['401.25', 'SR:DCCT:CURRENT', '2024-01-01T00:00:00Z', '"mA"']) expect(user).not.toContain(value);
  });

  it('lets config replace every text part and leave parts out', () => {
    const options = promptOptionsSchema.parse({
      role: 'You write Python for the ALS.',
      requirements: ['Use pyepics only.'],
      extra_requirements: ['Use SI units.'],
      output_format: 'Reply with code only.',
      omit: ['user_query', 'capability_prompts'],
    });
    const { system, user } = buildPrompt(request, [failure(1)], { ...options, retry_instructions: 'Fix it.' });
    expect(system).toBe('You write Python for the ALS.');
    expect(user).toContain('## Requirements\n\n- Use pyepics only.\n- Use SI units.');
    expect(user).toContain('## Answer format\n\nReply with code only.');
    expect(user).toContain('## Previous attempts\n\nFix it.');
    expect(user).not.toContain('how did the beam behave?');
    expect(user).not.toContain('Archiver data is in');
    expect(user).not.toContain('Never invent');
  });

  it('shows the last N failures, findings, and the code of the latest only', () => {
    const chain = [
      failure(1, { code: 'first_code()' }),
      failure(2, { stage: 'analysis', type: 'AnalysisFailed', findings: [{ rule: 'process_execution', severity: 'blocking', message: 'os.system runs a shell', line: 3, column: 0, excerpt: 'os.system(x)' }], code: 'second_code()' }),
      failure(3, { code: 'third_code()' }),
      failure(4, { code: 'fourth_code()' }),
    ];
    const { user } = buildPrompt(request, chain, { ...defaults, max_errors: 2 });
    expect(user).not.toContain('failure number 1');
    expect(user).not.toContain('failure number 2');
    expect(user).toContain('(2 earlier failed attempts not shown.)');
    expect(user).toContain('### Attempt 3: execution failed — ValueError: failure number 3');
    expect(user).toContain('### Attempt 4: execution failed — ValueError: failure number 4');
    expect(user).toContain('fourth_code()');
    expect(user).not.toContain('third_code()');
    const withFindings = buildPrompt(request, chain.slice(0, 2), defaults).user;
    expect(withFindings).toContain('- line 3 [blocking] process_execution: os.system runs a shell');
  });

  it('cuts huge error messages in the middle', () => {
    const message = `start ${'x'.repeat(10_000)} end`;
    const { user } = buildPrompt(request, [failure(1, { message })], { ...defaults, max_message_chars: 100 });
    expect(user).toContain('start ');
    expect(user).toContain(' end');
    expect(user).toMatch(/characters omitted/);
    expect(user).not.toContain('x'.repeat(200));
  });
});

describe('cutTraceback', () => {
  const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
  it('keeps head and tail and counts what it left out', () => {
    expect(cutTraceback(lines.join('\n'), 2, 3).split('\n')).toEqual(['line 0', 'line 1', '    ... 45 lines omitted ...', 'line 47', 'line 48', 'line 49']);
  });
  it('leaves a short traceback alone', () => {
    expect(cutTraceback(lines.slice(0, 5).join('\n'), 2, 3)).toBe(lines.slice(0, 5).join('\n'));
  });
});

describe('describeContext', () => {
  it('names nested shapes, list items and mixed types', () => {
    const text = describeContext(
      {
        matrix: [
          [1, 2.5],
          [3, 4],
        ],
        events: [{ pv: 'A', value: 1 }, { pv: 'B', value: null, note: 'x' }],
        mixed: [1, 'a', null],
        empty: [],
        flag: true,
      },
      { maxDepth: 3, maxKeys: 10 },
    );
    expect(text.split('\n')).toEqual([
      '- context["matrix"]: list of 2 list of 2 float',
      '- context["events"]: list of 2 dict',
      '  - each item ["pv"]: str',
      '  - each item ["value"]: None | int',
      '  - each item ["note"]: str',
      '- context["mixed"]: list of 3 None | int | str',
      '- context["empty"]: empty list',
      '- context["flag"]: bool',
    ]);
  });

  it('limits depth and keys, and says when the context is empty', () => {
    const deep = { a: { b: { c: { d: 1 } } } };
    expect(describeContext(deep, { maxDepth: 1, maxKeys: 10 })).toBe('- context["a"]: dict with 1 key\n  - ["b"]: dict with 1 key');
    const wide = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, i]));
    expect(describeContext(wide, { maxDepth: 2, maxKeys: 2 }).split('\n')).toEqual(['- context["k0"]: int', '- context["k1"]: int', '- … and 3 more keys']);
    expect(describeContext({}, { maxDepth: 2, maxKeys: 2 })).toContain('`context` is empty');
  });
});
