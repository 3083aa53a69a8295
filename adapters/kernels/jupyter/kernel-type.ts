/**
 * The Jupyter kernel as a kernel type (`execution_method: jupyter`, alias
 * `container`), built from `execution.jupyter`, with its pools filling in the
 * background: the first execution does not wait for every mode's kernels, and
 * a server that is down now is retried by each execution
 * (KernelUnavailableError, backoff).
 */
import { jupyterKernelSectionSchema } from '../../../config/schema.ts';
import { defineKernelType } from '../registry.ts';
import { createJupyterKernel } from './index.ts';

export const jupyterKernelType = defineKernelType(jupyterKernelSectionSchema, (section, context) => {
  const kernel = createJupyterKernel(section, context);
  void kernel.warmUp().catch((error: unknown) => context.logger.warn({ err: String(error) }, 'jupyter warm-up failed; kernels start on demand'));
  return kernel;
});
