/**
 * pyepics (`import epics`), from its documentation: the procedural functions
 * (caput, caget, ...), the PV, Device and Motor objects, and the low-level
 * `epics.ca` module, whose functions take the channel id `create_channel`
 * returns. `epics.ca.libca` is the Channel Access C library itself, loaded
 * with ctypes: calls through it (ca_array_put, ...) block in native code and
 * bypass everything the analysis can see, so any use of it is native code.
 */
import { arg, named, read, self, write, type LibraryModel, type PvSpec } from './model.ts';

const channel = (index: number): PvSpec => ({ kind: 'objects', arg: arg(index, 'chid') });
const field = (index: number, keyword: string, join: string): PvSpec => ({ kind: 'self+arg', arg: arg(index, keyword), join });

export const pyepics: LibraryModel = {
  library: 'pyepics',
  documentation: 'https://pyepics.github.io/pyepics/ (overview, pv, ca, devices, motor)',
  aliases: [
    ['epics.pv.PV', 'epics.PV'],
    ['epics.pv.get_pv', 'epics.get_pv'],
    ['epics.motor.Motor', 'epics.Motor'],
    ['epics.device.Device', 'epics.Device'],
  ],
  functions: {
    'epics.caput': write(named(0, 'pvname'), arg(1, 'value')),
    'epics.caput_many': write(named(0, 'pvlist'), arg(1, 'values')),
    'epics.caget': read(named(0, 'pvname')),
    'epics.caget_many': read(named(0, 'pvlist')),
    'epics.cainfo': read(named(0, 'pvname')),
    'epics.camonitor': read(named(0, 'pvname')),
    'epics.get_pv': { returns: { of: 'epics.PV', name: arg(0, 'pvname') } },
    'epics.ca.create_channel': { returns: { of: 'epics.ca.chid', name: arg(0, 'pvname') } },
    'epics.ca.put': write(channel(0), arg(1, 'value')),
    'epics.ca.sg_put': write(channel(1), arg(2, 'value')),
    'epics.ca.get': read(channel(0)),
    'epics.ca.sg_get': read(channel(1)),
    'epics.ca.get_with_metadata': read(channel(0)),
    'epics.ca.get_complete': read(channel(0)),
    'epics.ca.get_ctrlvars': read(channel(0)),
    'epics.ca.get_timevars': read(channel(0)),
    'epics.ca.create_subscription': read(channel(0)),
  },
  classes: {
    'epics.PV': {
      name: arg(0, 'pvname'),
      methods: {
        put: write(self, arg(0, 'value')),
        get: read(self),
        get_with_metadata: read(self),
        get_ctrlvars: read(self),
        get_timevars: read(self),
        add_callback: read(self),
      },
      readAttributes: ['value', 'char_value'],
      // `pv.value = 1` puts; any other assignment on a PV object is refused as a write too
      writeAttributes: 'any',
    },
    'epics.Motor': {
      name: arg(0, 'name'),
      methods: {
        move: write(self, arg(0, 'val')),
        put: write(field(0, 'attr', '.'), arg(1, 'value')),
        set_position: write(self, arg(0, 'position')),
        tweak: write(self),
        stop: write(self),
        get: read(field(0, 'attr', '.')),
        get_position: read(self),
      },
      writeAttributes: 'any',
      attributeJoin: '.',
    },
    'epics.Device': {
      name: arg(0, 'prefix'),
      methods: {
        put: write(field(0, 'attr', ''), arg(1, 'value')),
        get: read(field(0, 'attr', '')),
        save_state: read(self),
        restore_state: write(self),
        add_pv: { returns: { of: 'epics.PV', name: arg(0, 'pvname') } },
      },
      writeAttributes: 'any',
      attributeJoin: '',
    },
    'epics.ca.chid': { methods: {} },
  },
  native: ['epics.ca.libca', 'epics.ca.initialize_libca'],
};

