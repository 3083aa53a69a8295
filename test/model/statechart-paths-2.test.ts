/** Statechart paths, slice 3 of 3 (see statechart-paths.ts). */
import { describeStatechartPaths } from './statechart-paths.ts';

describeStatechartPaths(2, 3);
