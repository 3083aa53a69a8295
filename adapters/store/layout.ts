/**
 * Where things live inside an execution folder (DESIGN.md "Execution
 * folder"). Pure path arithmetic, shared by the store that writes the files
 * and the notebook builder that links figures relative to a notebook.
 */
import { join } from 'node:path';

export const contextFile = 'context.json';
export const resultsFile = 'results.json';
export const auditFile = 'audit.jsonl';
export const finalNotebookFile = 'notebook.ipynb';
export const attemptsDir = 'attempts';
export const figuresDir = 'figures';

/** Stages that get a notebook; `final` is notebook.ipynb, the others attempts/NN_<stage>.ipynb. */
export const notebookStages = [
  'generated',
  'awaiting_approval',
  'failed_analysis',
  'failed_execution',
  'succeeded',
  'final',
] as const;
export type NotebookStage = (typeof notebookStages)[number];
export type AttemptStage = Exclude<NotebookStage, 'final'>;

/** `attempts/01_generated.ipynb`: two digits at least, so names sort by attempt. */
export function attemptNotebookName(attempt: number, stage: AttemptStage): string {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt: must be a positive integer (got ${String(attempt)})`);
  }
  return join(attemptsDir, `${String(attempt).padStart(2, '0')}_${stage}.ipynb`);
}

/** The notebook's path relative to the execution folder. */
export function notebookName(stage: NotebookStage, attempt: number): string {
  return stage === 'final' ? finalNotebookFile : attemptNotebookName(attempt, stage);
}
