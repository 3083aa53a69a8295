/** Statechart paths, slice 2 of 3 (see statechart-paths.ts). */
import { describeStatechartPaths } from './statechart-paths.ts';

describeStatechartPaths(1, 3);
