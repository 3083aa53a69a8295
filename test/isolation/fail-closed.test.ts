/**
 * Fail closed, and say so when unsandboxed. Without bwrap no sandbox is made
 * and the error names what is missing and the fix; running without the
 * sandbox takes an explicit `execution.isolation: none`, which `pyexec run`
 * and the notebook header show.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { silentLogger } from '../../logging/logger.ts';
import { checkSandbox, SandboxUnavailableError } from '../../adapters/sandbox/index.ts';
import { KernelUnavailableError } from '../../adapters/kernels/kernel.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp.ts';

const folder = tempDir('pyexec-fail-closed-');
afterAll(() => folder.remove());

it('refuses to make a sandbox without bwrap, naming it and the fix, as an infrastructure error', async () => {
  const noBwrap = join(folder.path, 'empty-bin');
  const check = checkSandbox('/usr/bin/python3', silentLogger, noBwrap);
  await expect(check).rejects.toBeInstanceOf(SandboxUnavailableError);
  await expect(check).rejects.toBeInstanceOf(KernelUnavailableError);
  await expect(check).rejects.toThrow(/bubblewrap \(bwrap\) is not installed.*apt-get install bubblewrap/);
});

it('finds what this machine offers: Landlock with scoping, and cgroups', async () => {
  const support = await checkSandbox('/usr/bin/python3', silentLogger);
  expect(support.landlockAbi).toBeGreaterThanOrEqual(6);
  expect(support.cgroups === null ? support.cgroupGap : support.cgroups.version).not.toBeNull();
});

it('an unsandboxed run says so in `pyexec run` and in the notebook header', async () => {
  const configFile = join(folder.path, 'pyexec.config.yaml');
  writeFileSync(
    configFile,
    stringify({
      execution: { isolation: 'none', local: { python_env_path: '/usr/bin/python3' } },
      service: { executions_root: join(folder.path, 'executions') },
    }),
  );
  const code = join(folder.path, 'code.py');
  writeFileSync(code, 'results = {"x": 1}\n');
  const result = await runCli(['run', 'unsandboxed', '--code', code, '--config', configFile, '--json']);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toContain('execution.isolation is none: the code runs WITHOUT the OS sandbox');
  const summary = JSON.parse(result.stdout) as { notebook_path: string };
  const notebook = JSON.parse(readFileSync(summary.notebook_path, 'utf8')) as { cells: { source: string | string[] }[] };
  const header = [notebook.cells[0]?.source ?? ''].flat().join('');
  expect(header).toContain('**none**: the code ran without the OS sandbox');
}, 120_000);
