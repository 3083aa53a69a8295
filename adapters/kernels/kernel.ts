/**
 * A kernel runs one execution attempt in isolation and reports what happened.
 * The job's folder is the execution folder: context.json is read from it,
 * figures/ and results are written to it. Implementations: local Python
 * (cold process or warm fork server) and Jupyter kernels.
 *
 * A kernel never throws for the user's code failing: runtime errors and
 * timeouts are results. It throws KernelUnavailableError when it could not
 * run the code at all (an infrastructure error, retried with backoff).
 */
import type { ExecuteJob, ExecuteResult } from '../../protocol/internal.ts';

export interface Kernel {
  readonly name: string;
  execute(job: ExecuteJob, signal?: AbortSignal): Promise<ExecuteResult>;
  close(): Promise<void>;
  /** Kernels that keep warm interpreters ahead (fork servers, pooled Jupyter kernels) say how many, read at each metrics scrape. */
  warmPool?(): WarmPool;
  /** Resolves when the kernel can take a job now; rejects with the reason when not (for /readyz). Prompt: it reports, it does not wait for warm-up. */
  ready?(): Promise<void>;
}

export interface WarmPool {
  /** Warm interpreters ready to take a job now. */
  ready: number;
  /** Jobs since start that found none ready (they waited for a start, or ran cold). */
  misses: number;
}

export class KernelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelUnavailableError';
  }
}
