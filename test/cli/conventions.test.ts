/**
 * The command line's conventions, on the real `pyexec` process: `--help`
 * lists every command without loading them, `--json` always prints one JSON
 * document (errors too, and `submit`'s id as an object), `--quiet` leaves
 * stderr to errors, `--quiet` and `--verbose` exclude each other, and output
 * to a pipe carries no colour codes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli } from '../support/cli.ts';
import { NatsServer } from '../support/nats-server.ts';
import { tempDir } from '../support/temp.ts';
import { writeConfigFile } from '../support/service-config.ts';

const folder = tempDir('pyexec-cli-conventions-');
const setup = writeConfigFile(folder.path);
const withConfig = ['--config', setup.configFile];
const codeFile = join(folder.path, 'trivial.py');
writeFileSync(codeFile, 'results = {"answer": 6 * 7}\n');
const escape = '\u001b[';

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.dispose();
  folder.remove();
});

const errorJson = z.object({ error: z.object({ message: z.string(), exit_code: z.number(), code: z.string().optional() }) });

describe('pyexec command-line conventions', () => {
  it('lists every command of bin/cli.ts in --help, loading none of their modules', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    const table = readFileSync(fileURLToPath(new URL('../../bin/cli.ts', import.meta.url)), 'utf8');
    const names = [...table.matchAll(/^\s+(\w+): \{ summary:/gm)].map((match) => match[1]);
    expect(names).toEqual(expect.arrayContaining(['run', 'analyze', 'submit', 'serve', 'executor']));
    for (const name of names) expect(help.stdout).toMatch(new RegExp(`^\\s+${name} `, 'm'));
    // A command module is only ever imported in its entry's load(): never statically.
    expect(table).not.toMatch(/^import .*'\.\/commands\//m);
  });

  it('prints an error as a JSON document with --json', async () => {
    const run = await runCli(['run', 'a task', '--code', join(folder.path, 'missing.py'), '--json', ...withConfig]);
    expect(run.code).toBe(2);
    const { error } = errorJson.parse(JSON.parse(run.stdout));
    // The code from the error catalogue (protocol/errors.ts), and its exit status (bin/exit-codes.ts).
    expect(error).toMatchObject({ exit_code: 2, code: 'input_file' });
    expect(error.message).toContain('missing.py');
    expect(run.stderr).toContain('missing.py');
  });

  it('prints a usage error as a JSON document with --json', async () => {
    const run = await runCli(['run', 'a task', '--json', '--no-such-flag']);
    expect(run.code).toBe(2);
    const { error } = errorJson.parse(JSON.parse(run.stdout));
    expect(error.message).toContain('--no-such-flag');
    expect(error).toMatchObject({ exit_code: 2, code: 'usage' });
  });

  it('submit --json prints an object with the execution id', async () => {
    const run = await runCli(['submit', 'a task', '--code', codeFile, '--id', 'conventions-0001', '--json', '--nats', nats.url, ...withConfig]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ execution_id: 'conventions-0001' });
  });

  it('--quiet leaves stderr to errors; the JSON result is unchanged', async () => {
    const run = await runCli(['run', 'a task', '--code', codeFile, '--quiet', '--json', ...withConfig]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'succeeded', results: { answer: 42 } });
    expect(run.stderr).toBe('');
  });

  it('refuses --quiet with --verbose', async () => {
    const run = await runCli(['run', 'a task', '--code', codeFile, '--quiet', '--verbose', ...withConfig]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--quiet.*cannot be used with.*--verbose/);
  });

  it('writes no colour codes to a pipe, NO_COLOR unset', async () => {
    const run = await runCli(['run', 'a task', '--code', codeFile, ...withConfig], { env: { NO_COLOR: '' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Outcome:');
    expect(run.stdout + run.stderr).not.toContain(escape);
  });
});
