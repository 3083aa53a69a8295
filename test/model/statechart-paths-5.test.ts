/** Statechart paths, slice 6 of 6 (see statechart-paths.ts). */
import { describeStatechartPaths } from './statechart-paths.ts';

describeStatechartPaths(5, 6);
