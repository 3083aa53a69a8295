/**
 * bluesky plans, from its documentation: plan stubs that set or read ophyd
 * objects (`bps.mv(motor, 1)`), and the standard scans, which move the
 * motors among their arguments. A plan only acts when a RunEngine runs it,
 * but building it is where the code says what it will do, so that is where
 * it is counted. PVs are the names of the ophyd objects passed.
 */
import { arg, read, write, type LibraryModel, type PvSpec } from './model.ts';

const object = (index: number, keyword: string): PvSpec => ({ kind: 'objects', arg: arg(index, keyword) });
const pairs: PvSpec = { kind: 'pairs' };
const scan = write({ kind: 'none' }, undefined, 'moves the motors among its arguments');

export const bluesky: LibraryModel = {
  library: 'bluesky',
  documentation: 'https://blueskyproject.io/bluesky/ (plan stubs, plans)',
  functions: {
    'bluesky.plan_stubs.mv': write(pairs),
    'bluesky.plan_stubs.mvr': write(pairs),
    'bluesky.plan_stubs.abs_set': write(object(0, 'obj'), arg(1, 'value')),
    'bluesky.plan_stubs.rel_set': write(object(0, 'obj'), arg(1, 'value')),
    'bluesky.plan_stubs.trigger': write(object(0, 'obj'), undefined, 'starts an acquisition'),
    'bluesky.plan_stubs.stop': write(object(0, 'obj')),
    'bluesky.plan_stubs.rd': read(object(0, 'obj')),
    'bluesky.plan_stubs.read': read(object(0, 'obj')),
    'bluesky.plan_stubs.trigger_and_read': read(object(0, 'devices')),
    'bluesky.plans.count': read(object(0, 'detectors')),
    'bluesky.plans.scan': scan,
    'bluesky.plans.rel_scan': scan,
    'bluesky.plans.grid_scan': scan,
    'bluesky.plans.rel_grid_scan': scan,
    'bluesky.plans.list_scan': scan,
    'bluesky.plans.rel_list_scan': scan,
  },
};
