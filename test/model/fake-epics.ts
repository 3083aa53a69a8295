/**
 * A stand-in for pyepics on the kernel's PYTHONPATH: reads return a number,
 * writes are appended to a log in the working folder (the execution folder),
 * so a test can tell exactly what would have reached the hardware.
 */
export const writeLogName = 'epics_writes.log';

export const fakeEpicsModule = `
import os

def _record(kind, pvname, value):
    with open(os.path.join(os.getcwd(), "${writeLogName}"), "a") as handle:
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
