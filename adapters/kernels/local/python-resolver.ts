/**
 * Finds the Python interpreter of the local kernel, once per setting:
 * `execution.local.python_env_path` (an interpreter, or a virtualenv folder
 * holding bin/python), else the first python3 on PATH that imports numpy,
 * else /usr/bin/python3 if it imports numpy, else plain `python3`. Among the
 * interpreters that import numpy, one that also has matplotlib and pandas is
 * preferred (figures and DataFrames are part of the job). A shim (pyenv) is
 * replaced by the interpreter it runs: a shim costs ~100 ms per start.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { KernelUnavailableError } from '../kernel.ts';

const systemPython = '/usr/bin/python3';
const probeTimeoutMs = 30_000;
const resolved = new Map<string, Promise<string>>();

export function resolvePython(pythonEnvPath: string | null, searchPath = process.env.PATH ?? ''): Promise<string> {
  const key = `${pythonEnvPath ?? ''}\0${searchPath}`;
  let found = resolved.get(key);
  if (!found) {
    found = pythonEnvPath === null ? findPythonWithNumpy(searchPath) : interpreterAt(pythonEnvPath);
    resolved.set(key, found);
    // A failure is not cached: the setting or the machine may be fixed meanwhile.
    found.catch(() => resolved.delete(key));
  }
  return found;
}

async function interpreterAt(path: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  if (info === null) {
    throw new KernelUnavailableError(`execution.local.python_env_path = "${path}": no such file or folder`);
  }
  if (!info.isDirectory()) return path;
  for (const name of ['python', 'python3']) {
    const candidate = join(path, 'bin', name);
    if (await isExecutable(candidate)) return candidate;
  }
  throw new KernelUnavailableError(
    `execution.local.python_env_path = "${path}": a folder without bin/python (expected a virtualenv or an interpreter)`,
  );
}

async function findPythonWithNumpy(searchPath: string): Promise<string> {
  const onPath = searchPath
    .split(delimiter)
    .filter(Boolean)
    .map((folder) => join(folder, 'python3'));
  let numpyOnly: string | null = null;
  for (const candidate of new Set([...onPath, systemPython])) {
    if (!(await isExecutable(candidate))) continue;
    const probe = await probePython(candidate);
    if (probe === null || !probe.modules.has('numpy')) continue;
    if (scientificModules.every((name) => probe.modules.has(name))) return probe.executable;
    numpyOnly ??= probe.executable;
  }
  return numpyOnly ?? 'python3';
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

const scientificModules = ['numpy', 'matplotlib', 'pandas'];
const probeScript = [
  'import importlib.util, sys',
  'print(sys.executable)',
  `print(" ".join(n for n in ${JSON.stringify(scientificModules)} if importlib.util.find_spec(n)))`,
].join('\n');

interface Probe {
  executable: string;
  modules: Set<string>;
}

/** The real executable behind a candidate and which scientific modules it has; null if it does not run. */
function probePython(python: string): Promise<Probe | null> {
  return new Promise((resolve) => {
    execFile(python, ['-c', probeScript], { timeout: probeTimeoutMs }, (error, stdout) => {
      const [executable = '', modules = ''] = stdout.split('\n');
      resolve(error || !executable ? null : { executable, modules: new Set(modules.split(' ').filter(Boolean)) });
    });
  });
}
