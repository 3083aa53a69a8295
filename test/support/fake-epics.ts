/**
 * A fake pyepics package for tests: caput, PV.put and ca.put append one line
 * per write ("caput PV value") to a log, so a test can tell exactly what
 * would have reached the hardware. The log is $FAKE_EPICS_LOG when set (one
 * log across executions), else epics_writes.log in the working folder (the
 * execution folder). Put `pythonPath` on the mode's PYTHONPATH through
 * config modes.<mode>.environment.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
    log = os.environ.get("FAKE_EPICS_LOG") or os.path.join(os.getcwd(), "${writeLogName}")
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
  logFile: string;
  /** Lines written to the shared log so far, one per write. */
  writes(): string[];
  /** For config modes.<mode>.environment: PYTHONPATH and the shared log. */
  environment: Record<string, string>;
}

/** Installs the package under `folder`/site; writes go to `folder`/epics-writes.log. */
export function installFakeEpics(folder: string): FakeEpics {
  // A sandboxed kernel runs as another uid (adapters/sandbox): it must reach the package.
  chmodSync(folder, 0o755);
  const pythonPath = join(folder, 'site');
  mkdirSync(join(pythonPath, 'epics'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(pythonPath, 'epics', name), text);
  const logFile = join(folder, 'epics-writes.log');
  return {
    pythonPath,
    logFile,
    environment: { PYTHONPATH: pythonPath, FAKE_EPICS_LOG: logFile },
    writes: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []),
  };
}
