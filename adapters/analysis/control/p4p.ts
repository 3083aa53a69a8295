/**
 * p4p (PVAccess), from its documentation: the client `Context` (thread,
 * asyncio and cothread flavours share one API) and the server side. `rpc`
 * is a write: it asks a server to act. Serving PVs (`SharedPV.open/post`,
 * `Server`, `StaticProvider.add`) publishes values other clients read and
 * act on, so it counts as writing them.
 */
import { arg, named, none, read, write, type LibraryModel } from './model.ts';

const providers = { kind: 'keys', arg: arg(0, 'providers') } as const;

export const p4p: LibraryModel = {
  library: 'p4p',
  documentation: 'https://mdavidsaver.github.io/p4p/ (client API, server API)',
  aliases: [
    ['p4p.client.asyncio.Context', 'p4p.client.thread.Context'],
    ['p4p.client.cothread.Context', 'p4p.client.thread.Context'],
    ['p4p.server.asyncio.SharedPV', 'p4p.server.thread.SharedPV'],
    ['p4p.server.cothread.SharedPV', 'p4p.server.thread.SharedPV'],
  ],
  functions: {
    'p4p.server.Server': write(providers, undefined, 'serves the PVs of its providers'),
    'p4p.server.Server.forever': write(providers, undefined, 'serves the PVs of its providers'),
  },
  classes: {
    'p4p.client.thread.Context': {
      methods: {
        put: write(named(0, 'name'), arg(1, 'values')),
        get: read(named(0, 'name')),
        monitor: read(named(0, 'name')),
        rpc: write(named(0, 'name'), arg(1, 'value'), 'a remote procedure call asks the server to act'),
      },
    },
    'p4p.server.thread.SharedPV': {
      methods: {
        open: write(none, arg(0, 'value'), 'starts serving the PV with this value'),
        post: write(none, arg(0, 'value'), 'publishes a new value of a served PV'),
      },
    },
    'p4p.server.StaticProvider': {
      methods: { add: write(named(0, 'name'), undefined, 'serves a PV under this name') },
    },
  },
};
