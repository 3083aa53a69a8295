/**
 * ophyd, from its documentation: EPICS signals and motors, and devices whose
 * attributes are components (signals or sub-devices). `ophyd.Signal` is a
 * soft, in-memory signal: known, and nothing it does is an access. A
 * component's PV is its device's prefix plus a suffix written in the class
 * body, which the analysis does not follow: it is reported unnamed.
 */
import { arg, read, self, write, type ClassSpec, type LibraryModel } from './model.ts';

/** A signal's methods and attributes; `pvs` says where its constructor names the PVs it reads and writes. */
const signal = (pvs: Pick<ClassSpec, 'name' | 'writeName' | 'readSuffix'>): ClassSpec => ({
  ...pvs,
  methods: {
    put: write(self, arg(0, 'value')),
    set: write(self, arg(0, 'value')),
    get: read(self),
    read: read(self),
    subscribe: read(self),
  },
  readAttributes: ['value'],
  writeAttributes: ['value'],
});

const device = (extra: ClassSpec['methods']): ClassSpec => ({
  name: arg(0, 'prefix'),
  methods: {
    set: write(self, arg(0, 'value')),
    trigger: write(self, undefined, 'starts an acquisition'),
    stage: write(self, undefined, 'sets the staging values of its signals'),
    unstage: write(self, undefined, 'restores the values staging changed'),
    stop: write(self),
    read: read(self),
    get: read(self),
    ...extra,
  },
  components: 'ophyd.EpicsSignal',
});

export const ophyd: LibraryModel = {
  library: 'ophyd',
  documentation: 'https://blueskyproject.io/ophyd/ (EpicsSignal, EpicsMotor, Device, PVPositioner)',
  aliases: [
    ['ophyd.signal.EpicsSignal', 'ophyd.EpicsSignal'],
    ['ophyd.signal.EpicsSignalRO', 'ophyd.EpicsSignalRO'],
    ['ophyd.signal.EpicsSignalWithRBV', 'ophyd.EpicsSignalWithRBV'],
    ['ophyd.areadetector.EpicsSignalWithRBV', 'ophyd.EpicsSignalWithRBV'],
    ['ophyd.epics_motor.EpicsMotor', 'ophyd.EpicsMotor'],
    ['ophyd.device.Device', 'ophyd.Device'],
    ['ophyd.signal.Signal', 'ophyd.Signal'],
    ['ophyd.pv_positioner.PVPositioner', 'ophyd.PVPositioner'],
    ['ophyd.pv_positioner.PVPositionerPC', 'ophyd.PVPositioner'],
    ['ophyd.PVPositionerPC', 'ophyd.PVPositioner'],
  ],
  classes: {
    // a soft signal holds its value in memory: known, so its `put` is not taken for a write by the patterns
    'ophyd.Signal': { methods: {} },
    // EpicsSignal(read_pv, write_pv=None): writes go to write_pv when it is given
    'ophyd.EpicsSignal': signal({ name: arg(0, 'read_pv'), writeName: arg(1, 'write_pv') }),
    // EpicsSignalWithRBV(prefix) is EpicsSignal(prefix + "_RBV", write_pv=prefix)
    'ophyd.EpicsSignalWithRBV': signal({ name: arg(0, 'prefix'), readSuffix: '_RBV' }),
    'ophyd.EpicsSignalRO': {
      name: arg(0, 'read_pv'),
      methods: { get: read(self), read: read(self), subscribe: read(self) },
      readAttributes: ['value'],
    },
    'ophyd.EpicsMotor': device({
      move: write(self, arg(0, 'position')),
      set: write(self, arg(0, 'new_position')),
      set_current_position: write(self, arg(0, 'pos')),
      home: write(self, arg(0, 'direction')),
    }),
    'ophyd.Device': device({}),
    'ophyd.PVPositioner': device({ move: write(self, arg(0, 'position')) }),
  },
};
