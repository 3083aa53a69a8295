/**
 * The readiness checks a process answers /readyz with: the bus connection
 * makes a round trip, the store answers a read, and (executors) the kernel
 * is ready to take a job.
 */
import type { Kernel } from '../adapters/kernels/kernel.ts';
import type { Transport } from '../bus/transport.ts';
import type { ReadinessCheck } from './http-endpoints.ts';

/** A kernel may say whether it can take a job now (a warm pool with none ready, a server down). */
interface ReadinessReporter {
  ready?(): Promise<void>;
}

const probeKey = 'readyz.probe';

export function transportChecks(transport: Transport): ReadinessCheck[] {
  return [
    { name: 'bus', check: async () => void (await transport.ping?.()) },
    { name: 'store', check: async () => void (await transport.kv.get(probeKey)) },
  ];
}

export function kernelCheck(kernel: Kernel & ReadinessReporter): ReadinessCheck {
  return { name: 'kernel', check: async () => void (await kernel.ready?.()) };
}
