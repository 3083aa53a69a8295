/**
 * The spans of one traced read-only execution that needs no approval: one
 * per state, per command and per adapter call inside a command, none per
 * bus message (docs/operations.md, Traces). Sorted by name.
 */
export const readOnlyExecutionSpans: readonly string[] = [
  'execution',
  'generator.generate',
  'handle pyexec.cmd.analyze',
  'handle pyexec.cmd.generate',
  'job pyexec.jobs.execute.read_only',
  'kernel.execute',
  'state analyzing',
  'state executing',
  'state generating',
];
