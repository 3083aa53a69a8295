/**
 * aioca (asyncio Channel Access), from its documentation: the catools-style
 * functions, each taking one PV name or a list of names.
 */
import { arg, named, read, write, type LibraryModel } from './model.ts';

export const aioca: LibraryModel = {
  library: 'aioca',
  documentation: 'https://dls-controls.github.io/aioca/ (API: caget, caput, camonitor, connect, cainfo)',
  aliases: [['aioca._catools', 'aioca']],
  functions: {
    'aioca.caget': read(named(0, 'pv')),
    'aioca.caput': write(named(0, 'pv'), arg(1, 'value')),
    'aioca.camonitor': read(named(0, 'pv')),
    'aioca.connect': read(named(0, 'pv')),
    'aioca.cainfo': read(named(0, 'pv')),
  },
};
