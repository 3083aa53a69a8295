/**
 * The error catalogue: every error pyexec reports to a person or a program
 * carries a code from this one table. Programs branch on `code` instead of on
 * classes from many modules; the CLI turns a code into its exit status in one
 * place (bin/exit-codes.ts) and prints it with --json. Codes are stable: a
 * new kind of error gets a new code, an existing code keeps its meaning.
 */
export const errorCatalogue = {
  // Something a person can fix (the CLI exits 2).
  invalid_input: 'a request, decision, pipeline or argument that does not validate; the message names each field',
  invalid_config: "the configuration is wrong (file, environment, a generator's section, the review page's settings); the message names the key",
  input_file: 'a file given on the command line cannot be read, is empty, or is not what it should hold',
  usage: 'options that do not go together, or a command missing what it needs (a store, a user, a program)',
  execution_folder: 'an execution folder cannot be created under the executions root',
  key_file: 'an approver key file cannot be read or holds no key',
  not_permitted: "the NATS server refused an operation for the user given: its role does not allow it",
  // An execution that ended other than succeeded (ExecutionHandle.result rejects with these).
  generation_failed: 'no usable code could be generated',
  analysis_failed: 'the static analysis refused every version of the code',
  runtime_failed: 'the code raised an error at run time',
  timed_out: 'the code ran longer than its timeout',
  rejected: 'an approver rejected the code',
  cancelled: 'the execution was cancelled',
  expired: 'nobody decided on its approval before the deadline',
  outcome_unknown: 'a write job was interrupted: whether it wrote is unknown; check the hardware',
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class PyexecError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PyexecError';
  }
}
