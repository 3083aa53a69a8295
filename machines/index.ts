export { executionMachine } from './execution-machine.ts';
export type { ExecutionContext, ExecutionEvent, ExecutionInput, ExecutionPolicy } from './execution-types.ts';
export { pendingCommand, commandKey, type PendingCommand } from './commands.ts';
export { sha256Hex, commandIdFor } from './execution-rules.ts';
export { refusalReason } from './approval-rules.ts';
