/**
 * The spans of one traced read-only execution that needs no approval: one
 * per state and per command, none per bus message or adapter call
 * (docs/operations.md, Traces). Sorted by name.
 */
export const readOnlyExecutionSpans: readonly string[] = [
  'execution',
  'handle pyexec.cmd.analyze',
  'handle pyexec.cmd.generate',
  'job pyexec.jobs.execute.read_only',
  'state analyzing',
  'state executing',
  'state generating',
];
