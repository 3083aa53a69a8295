/** The local Python kernel (cold and warm). */
export { createLocalKernel } from './local-kernel.ts';
export { localKernelOptions, type LocalKernelOptions, type LocalModeOptions } from './options.ts';
export { resolvePython } from './python-resolver.ts';
export { scrubbedEnvironment } from './environment.ts';
