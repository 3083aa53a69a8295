/** Statechart paths, slice 5 of 6 (see statechart-paths.ts). */
import { describeStatechartPaths } from './statechart-paths.ts';

describeStatechartPaths(4, 6);
