/** Statechart paths, slice 4 of 6 (see statechart-paths.ts). */
import { describeStatechartPaths } from './statechart-paths.ts';

describeStatechartPaths(3, 6);
