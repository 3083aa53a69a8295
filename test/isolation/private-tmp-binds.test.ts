/**
 * A mode's PYTHONPATH folder that lives under the host's /tmp (a site
 * package unpacked there, the fake epics of the tests) stays what the
 * sandbox made it under the execution's private /tmp: importable, and
 * read-only. Attacked as a way out: code that writes into it, or replaces a
 * module there, must leave the host folder as it was (checked on the host),
 * and a later execution imports the original module.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalKernel, localKernelOptions } from '../../adapters/kernels/local/index.ts';
import { kernelContext } from '../../adapters/kernels/registry.ts';
import type { Kernel } from '../../adapters/kernels/kernel.ts';
import { configSchema } from '../../config/schema.ts';
import type { ExecuteJob } from '../../protocol/internal.ts';
import { executeJob } from '../support/fixtures.ts';
import { tempDir } from '../support/temp.ts';

const site = tempDir('pyexec-tmp-binds-');
chmodSync(site.path, 0o755);
const packageFolder = join(site.path, 'site-packages');
mkdirSync(packageFolder, { mode: 0o755 });
writeFileSync(join(packageFolder, 'site_module.py'), 'ORIGIN = "host"\n', { mode: 0o644 });
const environment = { PYTHONPATH: packageFolder };
const config = configSchema.parse({
  execution: {
    local: { python_env_path: '/usr/bin/python3' },
    modes: {
      read_only: { kernel_name: 'python3', allows_writes: false, environment },
      write_access: { kernel_name: 'python3', allows_writes: true, environment },
    },
  },
});

const attack = [
  'import os, site_module',
  'folder = os.path.dirname(site_module.__file__)',
  'attempts = {}',
  'for name, action in (("replace", lambda: open(os.path.join(folder, "site_module.py"), "w").write("ORIGIN = \\"planted\\"\\n")),',
  '                     ("add", lambda: open(os.path.join(folder, "planted.py"), "w").write("x = 1\\n"))):',
  '    try:',
  '        action()',
  '        attempts[name] = "written"',
  '    except OSError as error:',
  '        attempts[name] = type(error).__name__',
  'results = {"origin": site_module.ORIGIN, "file": site_module.__file__, "attempts": attempts}',
].join('\n');

afterAll(() => site.remove());

describe.each([{ warm: false }, { warm: true }])('PYTHONPATH under the host /tmp, local kernel warm=$warm', ({ warm }) => {
  let kernel: Kernel;
  let jobs = 0;
  const run = async (code: string): Promise<ExecuteJob & { result: Awaited<ReturnType<Kernel['execute']>> }> => {
    jobs += 1;
    const folder = join(site.path, `execution-${warm}-${jobs}`);
    mkdirSync(folder, { mode: 0o777 });
    const job = executeJob(code, folder, { execution_id: `tmp-binds-${warm}-${jobs}` });
    return { ...job, result: await kernel.execute(job) };
  };
  afterAll(async () => kernel?.close());

  it('is importable, refuses writes, and the host folder is unchanged', async () => {
    kernel = createLocalKernel(localKernelOptions(config.execution.local, kernelContext(config, { warm })));
    const { result } = await run(attack);
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.results).toEqual({
      origin: 'host',
      file: join(packageFolder, 'site_module.py'),
      attempts: { replace: expect.not.stringMatching(/^written$/), add: expect.not.stringMatching(/^written$/) },
    });
    expect(readdirSync(packageFolder).sort()).toEqual(['site_module.py']);
    expect(readFileSync(join(packageFolder, 'site_module.py'), 'utf8')).toBe('ORIGIN = "host"\n');
    const { result: later } = await run('import site_module\nresults = {"origin": site_module.ORIGIN}');
    expect(later.results).toEqual({ origin: 'host' });
  });
});
