/**
 * Finds the Python interpreter of the local kernel, once per setting:
 * `execution.local.python_env_path` (an interpreter, or a virtualenv folder
 * holding bin/python), else the first python3 on PATH that imports numpy,
 * else /usr/bin/python3 if it imports numpy, else plain `python3`. Among the
 * interpreters that import numpy, one that also has matplotlib and pandas is
 * preferred (figures and DataFrames are part of the job). A shim (pyenv) is
 * replaced by the interpreter it runs: a shim is a chain of bash scripts that
 * costs 0.3 s per start on an idle machine and seconds on a busy one, so it
 * is read, not run, whenever pyenv's files tell its interpreter. The
 * candidates are probed all at once (a one-shot `pyexec run` waits for this).
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, open, readFile, realpath, stat } from 'node:fs/promises';
import { basename, delimiter, dirname, join } from 'node:path';
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
  const candidates = await distinct(await Promise.all([...onPath, systemPython].map(withoutShim)));
  // All started now, read in PATH order: the answer is the same as probing one after the other.
  const unneeded = new AbortController();
  const probes = candidates.map((candidate) => probePython(candidate, unneeded.signal));
  try {
    let numpyOnly: string | null = null;
    for (const pending of probes) {
      const probe = await pending;
      if (probe === null || !probe.modules.has('numpy')) continue;
      if (scientificModules.every((name) => probe.modules.has(name))) return probe.executable;
      numpyOnly ??= probe.executable;
    }
    return numpyOnly ?? 'python3';
  } finally {
    // A later candidate still starting (or hanging) must not hold a one-shot command open.
    unneeded.abort();
  }
}

/** The executable candidates, each once: /bin/python3 is /usr/bin/python3 where /bin links to /usr/bin. */
async function distinct(candidates: (string | null)[]): Promise<string[]> {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const candidate of candidates) {
    if (candidate === null || !(await isExecutable(candidate))) continue;
    // The folder is resolved, not the file: a virtualenv's python3 links to the base interpreter but runs the virtualenv.
    const key = join(await realpath(dirname(candidate)), basename(candidate));
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(candidate);
  }
  return kept;
}

/**
 * A pyenv shim is replaced by the interpreter `pyenv which` would name, read
 * from pyenv's files: PYENV_VERSION, else the nearest .python-version from
 * the working folder up, else $PYENV_ROOT/version. null when it would run the
 * system Python (a later PATH entry is that one). A shim whose version cannot
 * be told this way (a prefix such as "3.11", a version not installed) is kept
 * and probed: pyenv itself then decides, slowly.
 */
async function withoutShim(candidate: string): Promise<string | null> {
  const pyenvRoot = await shimRoot(candidate);
  if (pyenvRoot === null) return candidate;
  for (const version of await pyenvVersions(pyenvRoot)) {
    if (version === 'system') return null;
    const interpreter = join(pyenvRoot, 'versions', version, 'bin', basename(candidate));
    if (await isExecutable(interpreter)) return interpreter;
  }
  return candidate;
}

/** $PYENV_ROOT as the shim script sets it; null when the file is not a pyenv shim. */
async function shimRoot(path: string): Promise<string | null> {
  const head = await readHead(path, 2048);
  if (!head.startsWith('#!') || !/\/libexec\/pyenv" exec /.test(head)) return null;
  return /^export PYENV_ROOT="([^"]+)"$/m.exec(head)?.[1] ?? null;
}

async function readHead(path: string, bytes: number): Promise<string> {
  const file = await open(path).catch(() => null);
  if (file === null) return '';
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(bytes), 0, bytes, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await file.close();
  }
}

async function pyenvVersions(pyenvRoot: string): Promise<string[]> {
  const fromEnvironment = process.env.PYENV_VERSION;
  if (fromEnvironment) return fromEnvironment.split(':').filter(Boolean);
  for (let folder = process.cwd(); ; folder = dirname(folder)) {
    const local = await versionFile(join(folder, '.python-version'));
    if (local !== null) return local;
    if (dirname(folder) === folder) break;
  }
  return (await versionFile(join(pyenvRoot, 'version'))) ?? ['system'];
}

/** The versions a pyenv version file names (first word of each line, comments skipped); null when there is no such file. */
async function versionFile(path: string): Promise<string[] | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return null;
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((word) => word !== '' && !word.startsWith('#'));
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
function probePython(python: string, signal: AbortSignal): Promise<Probe | null> {
  return new Promise((resolve) => {
    execFile(python, ['-c', probeScript], { timeout: probeTimeoutMs, signal }, (error, stdout) => {
      const [executable = '', modules = ''] = stdout.split('\n');
      resolve(error || !executable ? null : { executable, modules: new Set(modules.split(' ').filter(Boolean)) });
    });
  });
}
