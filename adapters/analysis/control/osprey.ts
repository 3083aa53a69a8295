/**
 * The Osprey runtime helpers (`osprey.runtime`), which generated code may
 * also call without importing them (the runtime provides them, like
 * `context`). `write_channels` takes a dict of channel → value: a bulk write.
 */
import { arg, named, read, write, type LibraryModel } from './model.ts';

export const osprey: LibraryModel = {
  library: 'osprey',
  documentation: 'osprey.runtime docstrings (write_channel, read_channel, write_channels)',
  functions: {
    'osprey.runtime.read_channel': read(named(0, 'channel_address')),
    'osprey.runtime.read_channels': read(named(0, 'channel_addresses')),
    'osprey.runtime.write_channel': write(named(0, 'channel_address'), arg(1, 'value')),
    'osprey.runtime.write_channels': write({ kind: 'keys', arg: arg(0, 'channel_values') }),
  },
  injected: {
    read_channel: 'osprey.runtime.read_channel',
    read_channels: 'osprey.runtime.read_channels',
    write_channel: 'osprey.runtime.write_channel',
    write_channels: 'osprey.runtime.write_channels',
  },
};
