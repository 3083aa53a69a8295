/** Statechart paths, slice 1 of 3 (see statechart-paths.ts). */
import { describeStatechartPaths } from './statechart-paths.ts';

describeStatechartPaths(0, 3);
