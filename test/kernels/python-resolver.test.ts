/**
 * Finding the local kernel's Python without paying for pyenv: a shim is read,
 * not run, when pyenv's files name its interpreter; the candidates are probed
 * at once and the ones not needed are stopped.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { resolvePython } from '../../adapters/kernels/local/python-resolver.ts';
import { eventually } from '../support/processes.ts';
import { tempDir } from '../support/temp.ts';
import { requireTestPython, testPython } from './local-python.ts';

requireTestPython();

const root = tempDir('pyexec-python-resolver-');
afterAll(() => root.remove());
afterEach(() => vi.unstubAllEnvs());

interface FakePyenv {
  shims: string;
  interpreter(version: string): string;
  /** Whether the shim was run (its pyenv logs each run). */
  shimRan(): boolean;
}

/**
 * A pyenv root as `pyenv install` and `pyenv rehash` leave it: the shim is
 * pyenv's own script, libexec/pyenv logs that it ran and starts the test
 * Python; each version's bin/python3 links to the test Python.
 */
function fakePyenv(name: string, versions: string[]): FakePyenv {
  const pyenvRoot = join(root.path, name);
  const ranLog = join(pyenvRoot, 'ran.log');
  mkdirSync(join(pyenvRoot, 'shims'), { recursive: true });
  mkdirSync(join(pyenvRoot, 'libexec'));
  writeFileSync(
    join(pyenvRoot, 'shims', 'python3'),
    `#!/usr/bin/env bash\nset -e\n[ -n "$PYENV_DEBUG" ] && set -x\n\nprogram="\${0##*/}"\n\nexport PYENV_ROOT="${pyenvRoot}"\nexec "${pyenvRoot}/libexec/pyenv" exec "$program" "$@"\n`,
    { mode: 0o755 },
  );
  writeFileSync(join(pyenvRoot, 'libexec', 'pyenv'), `#!/bin/sh\necho ran >> "${ranLog}"\nshift 2\nexec ${testPython} "$@"\n`, { mode: 0o755 });
  for (const version of versions) {
    mkdirSync(join(pyenvRoot, 'versions', version, 'bin'), { recursive: true });
    symlinkSync(testPython, join(pyenvRoot, 'versions', version, 'bin', 'python3'));
  }
  return {
    shims: join(pyenvRoot, 'shims'),
    interpreter: (version) => join(pyenvRoot, 'versions', version, 'bin', 'python3'),
    shimRan: () => existsSync(ranLog),
  };
}

/** A folder holding a python3 that links to the test Python. */
function linkedPython(name: string): string {
  const folder = join(root.path, name);
  mkdirSync(folder);
  symlinkSync(testPython, join(folder, 'python3'));
  return folder;
}

describe('python interpreter resolution with pyenv', () => {
  it('takes the interpreter of the version PYENV_VERSION names, without running the shim', async () => {
    const pyenv = fakePyenv('named', ['3.99.1']);
    vi.stubEnv('PYENV_VERSION', '3.99.1');
    expect(await resolvePython(null, pyenv.shims)).toBe(pyenv.interpreter('3.99.1'));
    expect(pyenv.shimRan()).toBe(false);
  });

  it('skips the shim when pyenv would run the system Python, for the next python3 on PATH', async () => {
    const pyenv = fakePyenv('system', ['3.99.1']);
    const linked = linkedPython('after-system-shim');
    vi.stubEnv('PYENV_VERSION', 'system');
    expect(await resolvePython(null, `${pyenv.shims}:${linked}`)).toBe(join(linked, 'python3'));
    expect(pyenv.shimRan()).toBe(false);
  });

  it('runs the shim when its version cannot be told from the files (a prefix: pyenv picks the latest match)', async () => {
    const pyenv = fakePyenv('prefix', ['3.99.1']);
    vi.stubEnv('PYENV_VERSION', '3.99');
    // The fake pyenv starts the test Python, which names itself.
    expect(await resolvePython(null, pyenv.shims)).toBe(testPython);
    expect(pyenv.shimRan()).toBe(true);
  });
});

describe('python interpreter probes', () => {
  it('answers as soon as the first candidate in PATH order has numpy, matplotlib and pandas, and stops the others', async () => {
    const linked = linkedPython('first-good');
    const slow = join(root.path, 'slow-bin');
    mkdirSync(slow);
    // A candidate that never answers (a hung interpreter, a network mount): its process is known by its odd argument.
    const marker = `${process.pid}.${Date.now() % 100_000}`;
    writeFileSync(join(slow, 'python3'), `#!/bin/sh\nexec sleep ${marker}\n`, { mode: 0o755 });
    const started = performance.now();
    expect(await resolvePython(null, `${linked}:${slow}`)).toBe(join(linked, 'python3'));
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(await eventually(() => sleepersWith(marker) === 0)).toBe(true);
  });
});

function sleepersWith(argument: string): number {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\0${argument}\0`;
      } catch {
        return false; // gone meanwhile
      }
    }).length;
}
