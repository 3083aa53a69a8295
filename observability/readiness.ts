/**
 * The readiness checks a process answers /readyz with: the bus connection
 * makes a round trip, the store answers a read, and (executors) the kernel
 * is ready to take a job.
 */
import type { Kernel } from '../adapters/kernels/kernel.ts';
import type { Transport } from '../bus/transport.ts';
import type { ReadinessCheck } from './http-endpoints.ts';

const probeKey = 'readyz.probe';

export function transportChecks(transport: Transport): ReadinessCheck[] {
  return [
    { name: 'bus', check: async () => void (await transport.ping?.()) },
    { name: 'store', check: async () => void (await transport.kv.get(probeKey)) },
  ];
}

/** A kernel that cannot say (no `ready`) is taken as ready: it reports failures per job. */
export function kernelCheck(kernel: Kernel): ReadinessCheck {
  return { name: 'kernel', check: async () => void (await kernel.ready?.()) };
}
