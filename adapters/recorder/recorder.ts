/**
 * What an execution leaves behind in its folder, as the supervisor sees it:
 * the folder itself, its hash-chained audit trail, and the files a persisted
 * transition calls for (its attempt notebook; at the end the final notebook
 * and results.json). The supervisor decides what to write (a FilePlan, from
 * actors/transition-outputs.ts); a recorder writes it. The service plugs in
 * the implementation (folder-recorder.ts), so the actors know only this
 * interface. The executor keeps what is too big for the bus in the folder
 * through a FolderFiles of its own.
 */
import type { StateName } from '../../protocol/public.ts';
import type { ExecutionContext, RefusedDecision } from '../../machines/execution-types.ts';
import type { AuditTrail } from '../audit/audit-trail.ts';
import type { ExecutionFolderRequest } from '../store/execution-folder.ts';
import type { AttemptStage } from '../store/layout.ts';

export type { AuditEntry, AuditTrail } from '../audit/audit-trail.ts';
export type { AttemptStage } from '../store/layout.ts';

/** One persisted transition of an execution's statechart. */
export interface Transition {
  previous: StateName | null;
  state: StateName;
  context: ExecutionContext;
  /** The decision this transition refused (it stays in its state), if any. */
  refusal: RefusedDecision | null;
}

/** The files one transition leaves in the execution folder. */
export interface FilePlan {
  /** attempts/NN_<stage>.ipynb, for the stage the transition reached. */
  attemptNotebook: { attempt: number; stage: AttemptStage } | null;
  /** notebook.ipynb with the real outputs: the execution has ended. */
  finalNotebook: boolean;
  /** results.json: the execution has ended with results. */
  results: boolean;
}

export interface RecordedFiles {
  /** The notebook written last by this plan (the final one when there is one); null when none was. */
  notebookPath: string | null;
}

/** A file to write into an execution's folder (replacing any there). */
export interface FolderFile {
  path: string;
  data: string;
}

/** Writes files into one folder of an execution, making the folder if it is missing. */
export type FolderFiles = (folder: string, files: FolderFile[]) => Promise<void>;

export interface ExecutionRecorder {
  /** Hash-chained audit.jsonl per execution, its head anchored in the store. */
  readonly audit: AuditTrail;
  /**
   * The execution's folder: made for a new request, or the one an earlier
   * delivery of the same request made before its process died. Rejects with
   * why it can be neither.
   */
  folderFor(executionId: string, request: ExecutionFolderRequest): Promise<string>;
  /** Writes the planned files of a transition (side by side where they are independent). */
  writeFiles(transition: Transition, plan: FilePlan): Promise<RecordedFiles>;
}
