/** The executor contract against the local kernel, cold and warm, with real Python. */
import { createLocalKernel } from '../../adapters/kernels/local/index.ts';
import { runKernelContract } from './kernel-contract.ts';
import { requireTestPython, testKernelOptions } from './local-python.ts';

requireTestPython();

runKernelContract('local cold', (settings) => createLocalKernel(testKernelOptions(settings, { warm: false })));
runKernelContract('local warm', (settings) => createLocalKernel(testKernelOptions(settings, { warm: true })));
