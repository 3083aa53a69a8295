/** Code extraction against the shapes real model answers take. */
import { describe, expect, it } from 'vitest';
import { extractCode } from '../../adapters/generators/extract.ts';

const program = 'import numpy as np\n\nvalues = np.array(context["current"])\nresults = {"mean": float(values.mean())}\n';

describe('extractCode', () => {
  it.each([
    ['a python fence with prose around it', `Here is the script:\n\n\`\`\`python\n${program}\`\`\`\n\nThis computes the mean.`],
    ['a py fence', `\`\`\`py\n${program}\`\`\``],
    ['a python3 fence', `\`\`\`python3\n${program}\`\`\``],
    ['a bare fence', `Script:\n\`\`\`\n${program}\`\`\``],
    ['a tilde fence', `~~~python\n${program}~~~`],
    ['windows line endings', `\`\`\`python\r\n${program.replace(/\n/g, '\r\n')}\`\`\`\r\n`],
    ['a fence indented in a list item', `1. Run this:\n   \`\`\`python\n${program.replace(/^(?=.)/gm, '   ')}   \`\`\``],
    ['thinking text before the answer', `<think>\nMaybe \`\`\`python\nresults = {"wrong": 1}\n\`\`\`\n</think>\n\`\`\`python\n${program}\`\`\``],
    ['a closing think tag whose opening the server dropped', `I should use numpy.\n</think>\n\`\`\`python\n${program}\`\`\``],
  ])('finds the code in %s', (_label, answer) => {
    expect(extractCode(answer)).toEqual({ code: program, source: 'fenced' });
  });

  it('keeps a triple backtick inside a four-backtick fence', () => {
    const withFence = `note = "\`\`\`"\n${program}`;
    expect(extractCode(`\`\`\`\`python\n${withFence}\`\`\`\`\nDone.`)?.code).toBe(withFence);
  });

  it('prefers python blocks over shell and output blocks', () => {
    const answer = `Install:\n\`\`\`bash\npip install numpy\n\`\`\`\nThen:\n\`\`\`python\n${program}\`\`\`\nOutput:\n\`\`\`\n{'mean': 1.0}\n\`\`\``;
    expect(extractCode(answer)?.code).toBe(program);
  });

  it('takes the last block that fills results when a corrected version follows', () => {
    const first = 'results = {"mean": sum(context["current"])}\n';
    const answer = `First try:\n\`\`\`python\n${first}\`\`\`\nOops, that is the sum. Corrected:\n\`\`\`python\n${program}\`\`\``;
    expect(extractCode(answer)?.code).toBe(program);
  });

  it('carries imports from an earlier block into the program, once', () => {
    const answer =
      '```python\nimport numpy as np\nimport math\n```\nThen compute:\n```python\nimport math\nvalues = np.array(context["current"])\nresults = {"mean": float(values.mean())}\n```';
    expect(extractCode(answer)?.code).toBe('import numpy as np\nimport math\nvalues = np.array(context["current"])\nresults = {"mean": float(values.mean())}\n');
  });

  it('takes the longest block when none fills results', () => {
    const answer = '```python\nx = 1\n```\n```python\nimport math\nprint(math.pi * 2)\nprint("done")\n```';
    expect(extractCode(answer)?.code).toBe('import math\nprint(math.pi * 2)\nprint("done")\n');
  });

  it('keeps code cut off by the token limit (an unterminated fence)', () => {
    expect(extractCode(`Here:\n\`\`\`python\n${program}for i in range(`)).toEqual({
      code: `${program}for i in range(\n`,
      source: 'unterminated',
    });
  });

  it('takes an answer with no fences when it is code', () => {
    expect(extractCode(program)).toEqual({ code: program, source: 'bare' });
    expect(extractCode(`python\n${program}`)?.code).toBe(program);
  });

  it('cuts the prose off an unfenced answer', () => {
    const answer = `Here is the code you asked for:\n\n${program}\nThis prints nothing and stores the mean.`;
    expect(extractCode(answer)).toEqual({ code: program, source: 'bare' });
  });

  it.each([
    ['prose', 'I cannot do this: the context has no beam current. Please provide the PV name.'],
    ['an empty answer', ''],
    ['thinking only', '<think>Let me think about the beam current and write code = 1</think>'],
    ['a list of steps', '1. Read the current.\n2. Compute the mean.\n3. Store it in results.'],
    ['only a shell block', 'Run:\n```bash\npip install numpy\n```'],
  ])('finds no code in %s', (_label, answer) => {
    expect(extractCode(answer)).toBeUndefined();
  });
});
