/**
 * The package as a user gets it: `npm pack` (which builds dist/ through the
 * `prepare` script), installed with npm into an empty folder, and run there
 * as `npx pyexec` on the embedded default. The tarball holds the build and
 * the files it reads at run time, not the sources, tests or benchmarks.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempDir } from '../support/temp.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const folder = tempDir('pyexec-package-');
// The kernel's sandbox runs as another user, who reads the package's Python where it is installed.
chmodSync(folder.path, 0o755);

const packSchema = z.array(z.object({ filename: z.string(), files: z.array(z.object({ path: z.string() })) })).length(1);
const summarySchema = z.object({ outcome: z.string(), results: z.record(z.string(), z.unknown()).nullable(), notebook_path: z.string().nullable() });

// Packing builds the whole project and installing fetches every dependency: minutes on a busy machine.
const minutes = 60_000;
// Thousands of installed files to remove.
afterAll(() => folder.remove(), 5 * minutes);

describe('npm package', () => {
  it('packs only what running needs, installs into an empty folder and runs a task with npx pyexec', async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', folder.path], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const [tarball] = packSchema.parse(JSON.parse(packed.stdout));
    const paths = tarball!.files.map((file) => file.path);
    expect(paths.filter((path) => !path.startsWith('dist/') && !['package.json', 'README.md', 'nats-server.conf'].includes(path))).toEqual([]);
    expect(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
    // The assets found next to the compiled modules at run time.
    expect(paths).toEqual(
      expect.arrayContaining([
        'dist/bin/cli.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/protocol/index.js',
        'dist/adapters/kernels/python/pyexec_harness.py',
        'dist/adapters/store/file-worker.js',
        'dist/review/static/index.html',
      ]),
    );

    const app = join(folder.path, 'app');
    mkdirSync(app);
    // Its own project root, so npm does not walk up to a package.json above the temporary folder.
    writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(folder.path, tarball!.filename)], { cwd: app });
    const task = await run('npx', ['--no-install', 'pyexec', 'run', 'compute the mean of a sine wave', '--behavior', 'success', '--json'], {
      cwd: app,
      env: { ...process.env, NO_COLOR: '1' },
    });
    const summary = summarySchema.parse(JSON.parse(task.stdout));
    expect(summary.outcome, task.stderr).toBe('succeeded');
    expect(summary.results).toMatchObject({ count: 100 });
    expect(summary.notebook_path?.startsWith(join(app, 'executions'))).toBe(true);
  }, 15 * minutes);
});
