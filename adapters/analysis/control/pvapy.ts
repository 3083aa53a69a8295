/**
 * pvaPy (`import pvaccess`), from its documentation: `Channel` with its
 * typed put methods, `RpcClient.invoke` (a write: it asks a server to act),
 * and `PvaServer`, which serves records (a write, like p4p's server).
 */
import { arg, named, read, self, write, type LibraryModel, type MethodSpec } from './model.ts';

const typedPuts = [
  'putBoolean', 'putByte', 'putUByte', 'putShort', 'putUShort', 'putInt', 'putUInt', 'putLong', 'putULong',
  'putFloat', 'putDouble', 'putString', 'putScalarArray', 'putUnion',
];
const put = write(self, arg(0, 'value'));

export const pvapy: LibraryModel = {
  library: 'pvapy',
  documentation: 'https://epics.anl.gov/extensions/pvaPy/production/ (pvaccess.Channel, RpcClient, PvaServer)',
  functions: {
    'pvaccess.PvaServer': write(named(0, 'channelName'), arg(1, 'pvObject'), 'serves a record under this name'),
  },
  classes: {
    'pvaccess.Channel': {
      name: arg(0, 'channelName'),
      methods: {
        get: read(self),
        put,
        ...Object.fromEntries(typedPuts.map((name): [string, MethodSpec] => [name, put])),
        putGet: put,
        parsePut: put,
        asyncPut: put,
        asyncGet: read(self),
        monitor: read(self),
        subscribe: read(self),
        startMonitor: read(self),
      },
    },
    'pvaccess.RpcClient': {
      name: arg(0, 'channelName'),
      methods: { invoke: write(self, arg(0, 'request'), 'a remote procedure call asks the server to act') },
    },
    'pvaccess.PvaServer': {
      methods: {
        addRecord: write(named(0, 'channelName'), arg(1, 'pvObject'), 'serves a record under this name'),
        update: write(named(0, 'channelName'), arg(1, 'pvObject'), 'publishes a new value of a served record'),
      },
    },
  },
};
