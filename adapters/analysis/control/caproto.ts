/**
 * caproto (Channel Access in pure Python), from its documentation: the
 * synchronous client functions, and the threading and asyncio clients, whose
 * `Context.get_pvs(*names)` returns one PV object per name. caproto's
 * pyepics-compatible layer has pyepics' API and is modelled as pyepics.
 */
import { arg, named, read, self, write, type ClassSpec, type LibraryModel } from './model.ts';

function client(flavour: 'threading' | 'asyncio'): Record<string, ClassSpec> {
  const pv = `caproto.${flavour}.client.PV`;
  return {
    [`caproto.${flavour}.client.Context`]: { methods: { get_pvs: { returns: { of: pv, many: true } } } },
    [pv]: {
      methods: {
        read: read(self),
        write: write(self, arg(0, 'data')),
        subscribe: read(self),
      },
    },
  };
}

export const caproto: LibraryModel = {
  library: 'caproto',
  documentation: 'https://caproto.github.io/caproto/ (synchronous client, threading client, asyncio client)',
  aliases: [['caproto.threading.pyepics_compat', 'epics']],
  functions: {
    'caproto.sync.client.read': read(named(0, 'pv_name')),
    'caproto.sync.client.write': write(named(0, 'pv_name'), arg(1, 'data')),
    'caproto.sync.client.subscribe': read(named(0, 'pv_name')),
  },
  classes: { ...client('threading'), ...client('asyncio') },
};
