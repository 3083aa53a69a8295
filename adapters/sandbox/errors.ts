/**
 * The sandbox could not be made: no code runs (fail closed). The message
 * names what is missing and how to fix it. A KernelUnavailableError, so the
 * executor reports it as an infrastructure error (retried with backoff,
 * never counted against the code).
 */
import { KernelUnavailableError } from '../kernels/kernel.ts';

export class SandboxUnavailableError extends KernelUnavailableError {
  constructor(
    readonly missing: string,
    readonly fix: string,
  ) {
    super(`no sandbox, so no code runs: ${missing}. Fix: ${fix} (or, knowingly, set execution.isolation: none)`);
    this.name = 'SandboxUnavailableError';
  }
}
