/**
 * A fake pyepics package for tests: caput, PV.put and ca.put append one line
 * per write ("caput PV value") to epics_writes.log in the working folder (the
 * execution folder), so a test can tell exactly what would have reached the
 * hardware. Put `pythonPath` on the mode's PYTHONPATH through config
 * modes.<mode>.environment.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

export const writeLogName = 'epics_writes.log';

const files = {
  '__init__.py': `
from . import ca
from .ca import _record

def caput(pvname, value, **kwargs):
    _record("caput", pvname, value)
    return 1

def caget(pvname, **kwargs):
    return 42.0

class PV:
    def __init__(self, pvname, **kwargs):
        self.pvname = pvname

    def get(self, **kwargs):
        return 42.0

    def put(self, value, **kwargs):
        _record("PV.put", self.pvname, value)
        return 1
`,
  'ca.py': `
import os

def _record(kind, pvname, value):
    log = os.path.join(os.getcwd(), "${writeLogName}")
    with open(log, "a") as handle:
        handle.write("%s %s %r\\n" % (kind, pvname, value))

def put(chid, value, **kwargs):
    _record("ca.put", chid, value)
    return 1
`,
};

export interface FakeEpics {
  /** The folder to put on PYTHONPATH. */
  pythonPath: string;
  /** Writes so far, one line per write, from every execution folder below the install folder (oldest log first). */
  writes(): string[];
  /** For config modes.<mode>.environment: PYTHONPATH. */
  environment: Record<string, string>;
}

/** A sandboxed kernel runs as another uid (adapters/sandbox): the temporary folders above the package must let it through. */
export function traversableBySandbox(folder: string): void {
  for (let current = resolve(folder); current.startsWith(`${tmpdir()}/`); current = dirname(current)) {
    chmodSync(current, statSync(current).mode | 0o711);
  }
}

/** epics_writes.log files below `folder`, oldest first. */
function writeLogs(folder: string): string[] {
  return readdirSync(folder, { recursive: true })
    .map(String)
    .filter((path) => basename(path) === writeLogName)
    .map((path) => join(folder, path))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

/**
 * Installs the package under `folder`/site. Each write lands in its
 * execution folder (a sandboxed kernel can write nowhere else), so the
 * executions root must be below `folder` for writes() to see them.
 */
export function installFakeEpics(folder: string): FakeEpics {
  const pythonPath = join(folder, 'site');
  mkdirSync(join(pythonPath, 'epics'), { recursive: true });
  traversableBySandbox(folder);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(pythonPath, 'epics', name), text);
  return {
    pythonPath,
    environment: { PYTHONPATH: pythonPath },
    writes: () => writeLogs(folder).flatMap((log) => readFileSync(log, 'utf8').split('\n').filter(Boolean)),
  };
}

/** Code that writes a PV through the fake epics: runs in the write mode, after an approval. */
export const writeCode = 'import epics\nepics.caput("TEST:SETPOINT", 1.5)\nresults = {"written": 1.5}';
