/** Statechart paths, slice 1 of 6 (see statechart-paths.ts). */
import { describeStatechartPaths } from './statechart-paths.ts';

describeStatechartPaths(0, 6);
