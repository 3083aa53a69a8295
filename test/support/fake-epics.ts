/**
 * A fake pyepics package for tests: caput / PV.put append one line per
 * write to a log file, so a test can count what really ran on "hardware".
 * Put `pythonPath` on the write mode's PYTHONPATH and `logFile` in its
 * FAKE_EPICS_LOG (both through config modes.<mode>.environment).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const moduleSource = `
import os

def _record(kind, pvname, value):
    with open(os.environ["FAKE_EPICS_LOG"], "a") as handle:
        handle.write("%s %s %r\\n" % (kind, pvname, value))

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
`;

export interface FakeEpics {
  pythonPath: string;
  logFile: string;
  /** Lines written so far, one per write that reached the "hardware". */
  writes(): string[];
  environment: Record<string, string>;
}

export function installFakeEpics(folder: string): FakeEpics {
  const pythonPath = join(folder, 'site');
  mkdirSync(join(pythonPath, 'epics'), { recursive: true });
  writeFileSync(join(pythonPath, 'epics', '__init__.py'), moduleSource);
  const logFile = join(folder, 'epics-writes.log');
  return {
    pythonPath,
    logFile,
    environment: { PYTHONPATH: pythonPath, FAKE_EPICS_LOG: logFile },
    writes: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []),
  };
}
