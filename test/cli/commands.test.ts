/**
 * The `pyexec` command end to end: real process, embedded default, mock
 * generator, real analyzer and real local Python.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp.ts';
import { validateNotebooks } from '../notebook/nbformat-validator.ts';
import { writeConfigFile } from '../support/service-config.ts';

const folder = tempDir('pyexec-cli-');
afterAll(() => folder.remove());
const setup = writeConfigFile(folder.path);
const withConfig = ['--config', setup.configFile];

interface RunJson {
  execution_id: string;
  outcome: string;
  results: Record<string, unknown> | null;
  figures: string[];
  notebook_path: string | null;
  execution_mode: string | null;
  error_chain: Array<{ stage: string; type: string; message: string }>;
}

const parseJson = (stdout: string) => JSON.parse(stdout) as RunJson;

describe('pyexec run', () => {
  it('runs a task and prints results and a valid notebook path (--json)', async () => {
    const run = await runCli(['run', 'compute a mean', '--behavior', 'success', '--json', ...withConfig]);
    expect(run.code, run.stderr).toBe(0);
    const summary = parseJson(run.stdout);
    expect(summary.outcome).toBe('succeeded');
    expect(summary.results).toMatchObject({ count: 100 });
    expect(summary.notebook_path).toMatch(/notebook\.ipynb$/);
    const attempts = join(summary.notebook_path as string, '..', 'attempts');
    const notebooks = [summary.notebook_path as string, ...readdirSync(attempts).filter((f) => f.endsWith('.ipynb')).map((f) => join(attempts, f))];
    expect(notebooks.length).toBeGreaterThanOrEqual(3);
    expect(validateNotebooks(notebooks).filter((outcome) => outcome.error !== null)).toEqual([]);
    // The live display went to stderr, state by state.
    expect(run.stderr).toMatch(/generating[\s\S]*analyzing[\s\S]*executing[\s\S]*done/);
  });

  it('stops a write for approval; a rejection at the prompt ends rejected with nothing executed', async () => {
    const before = setup.epics.writes().length;
    const run = await runCli(['run', 'set the quadrupole', '--behavior', 'epics_write', '--json', ...withConfig], { input: 'no: not during beam time\n' });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain('Approval required');
    expect(run.stderr).toContain('caput("SR:MAG:QF1:CURRENT_SP", 12.5)');
    expect(run.stderr).toMatch(/Execution mode: write_access/);
    const summary = parseJson(run.stdout);
    expect(summary.outcome).toBe('rejected');
    expect(summary.results).toBeNull();
    expect(setup.epics.writes().length).toBe(before);
  });

  it('runs an approved write once, in write mode', async () => {
    const before = setup.epics.writes().length;
    const run = await runCli(['run', 'set the quadrupole', '--behavior', 'epics_write', '--json', ...withConfig], { input: 'yes\n' });
    expect(run.code, run.stderr).toBe(0);
    const summary = parseJson(run.stdout);
    expect(summary.outcome).toBe('succeeded');
    expect(summary.execution_mode).toBe('write_access');
    expect(setup.epics.writes().slice(before)).toEqual(["caput SR:MAG:QF1:CURRENT_SP 12.5"]);
  });

  it('rejects when standard input ends without an answer', async () => {
    const run = await runCli(['run', 'set the quadrupole', '--behavior', 'epics_write', ...withConfig], { input: '' });
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('rejected');
  });

  it('takes approved code from --code, still analysed', async () => {
    const code = join(folder.path, 'approved.py');
    writeFileSync(code, 'import numpy as np\nresults = {"total": int(np.arange(5).sum())}\n');
    const run = await runCli(['run', 'sum a range', '--code', code, '--json', ...withConfig]);
    expect(run.code, run.stderr).toBe(0);
    expect(parseJson(run.stdout).results).toEqual({ total: 10 });
    expect(run.stderr).not.toContain('generating code');
  });

  it('retries with the error chain and reports a failure with exit status 1', async () => {
    const fixed = await runCli(['run', 'recover', '--behavior', 'error_aware', '--json', ...withConfig]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(parseJson(fixed.stdout).results).toEqual({ value: 0, recovered: true });
    expect(parseJson(fixed.stdout).error_chain).toMatchObject([{ stage: 'execution', type: 'KeyError' }]);
    const failing = await runCli(['run', 'always fails', '--behavior', 'runtime_error', '--json', ...withConfig]);
    expect(failing.code).toBe(1);
    const summary = parseJson(failing.stdout);
    expect(summary.outcome).toBe('failed');
    expect(summary.error_chain.map((entry) => entry.type)).toEqual(['IndexError', 'IndexError', 'IndexError']);
  });
});

describe('pyexec bad input', () => {
  const executionsFolders = () => (existsSync(setup.executionsRoot) ? readdirSync(setup.executionsRoot, { recursive: true }).length : 0);

  it('names the key path, the value and what was expected for an invalid config', async () => {
    const bad = join(folder.path, 'bad.yaml');
    writeFileSync(bad, 'python_executor:\n  max_generation_retries: "three"\nexecution:\n  bogus_key: 1\n');
    const run = await runCli(['run', 'x', '--config', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('python_executor.max_generation_retries = "three"');
    expect(run.stderr).toMatch(/expected number/);
    expect(run.stderr).toContain('execution.bogus_key: unknown key');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses a folder name that escapes, and writes nothing', async () => {
    const before = executionsFolders();
    const run = await runCli(['run', 'x', '--behavior', 'success', '--folder-name', '../../etc', ...withConfig]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('execution_folder_name');
    expect(run.stderr).toContain('..');
    expect(executionsFolders()).toBe(before);
  });

  it('refuses a non-UTF-8 code file and an empty one', async () => {
    const binary = join(folder.path, 'latin1.py');
    writeFileSync(binary, Buffer.from([0x72, 0x3d, 0xe9, 0xff, 0x0a]));
    const empty = join(folder.path, 'empty.py');
    writeFileSync(empty, '  \n');
    const notUtf8 = await runCli(['run', 'x', '--code', binary, ...withConfig]);
    expect(notUtf8.code).toBe(2);
    expect(notUtf8.stderr).toContain('is not UTF-8 text');
    const nothing = await runCli(['run', 'x', '--code', empty, ...withConfig]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('is empty');
  });

  it('says exactly which variable to set when the LLM generator has no API key', async () => {
    const env = { ...process.env, OPENAI_API_KEY: '' };
    const run = await runCli(['run', 'x', '--generator', 'basic', ...withConfig], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('set the environment variable OPENAI_API_KEY');
  });

  it('says which generators exist for an unknown one, and prints help', async () => {
    const run = await runCli(['run', 'x', '--generator', 'nonexistent', ...withConfig]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nonexistent');
    const help = await runCli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--behavior');
    expect(help.stdout).toContain('Exit status');
  });
});

describe('pyexec analyze', () => {
  it('prints the analysis as JSON and exits 1 when the code would be sent back', async () => {
    const file = join(folder.path, 'danger.py');
    writeFileSync(file, 'import os\nos.system("rm -rf /")\nresults = {}\n');
    const run = await runCli(['analyze', file, '--json', ...withConfig]);
    expect(run.code).toBe(1);
    const analysis = JSON.parse(run.stdout) as { passed: boolean; findings: Array<{ severity: string; line: number }> };
    expect(analysis.passed).toBe(false);
    expect(analysis.findings).toContainEqual(expect.objectContaining({ severity: 'blocking', line: 2 }));
  });
});
