/** The statechart model's own checks (edges, states, outcomes, transitions); the paths run in statechart-paths-N. */
import { describeModelChecks } from './statechart-paths.ts';

describeModelChecks();
