/** Statechart paths, slice 2 of 6 (see statechart-paths.ts). */
import { describeStatechartPaths } from './statechart-paths.ts';

describeStatechartPaths(1, 6);
