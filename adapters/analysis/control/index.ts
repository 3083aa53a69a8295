/** The built-in library tables, and the model the analyzer uses: those plus the configured ones. */
import { aioca } from './aioca.ts';
import { bluesky } from './bluesky.ts';
import { caproto } from './caproto.ts';
import { ControlModel } from './control-model.ts';
import type { LibraryModel } from './model.ts';
import { ophyd } from './ophyd.ts';
import { osprey } from './osprey.ts';
import { p4p } from './p4p.ts';
import { pvapy } from './pvapy.ts';
import { pyepics } from './pyepics.ts';
import { tango } from './tango.ts';

export const builtInLibraries: readonly LibraryModel[] = [pyepics, p4p, caproto, pvapy, aioca, tango, ophyd, bluesky, osprey];

export function controlModel(extensions: readonly LibraryModel[]): ControlModel {
  return new ControlModel([...builtInLibraries, ...extensions]);
}

export { ControlModel, modelledCalls } from './control-model.ts';
export type * from './model.ts';
