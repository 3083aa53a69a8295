/** What a signal that ended a kernel process means, in words an operator reads in the error chain. */
const signalMeanings: Record<string, string> = {
  SIGSEGV: 'a segmentation fault',
  SIGBUS: 'a bus error',
  SIGABRT: 'an abort',
  SIGFPE: 'a floating-point exception',
  SIGILL: 'an illegal instruction',
  SIGXCPU: 'the CPU time limit (limits.cpu_seconds)',
  SIGKILL: 'SIGKILL (out of memory, or the CPU time hard limit)',
};

/** `signal` is a name such as SIGSEGV; unknown names are returned as they are. */
export function describeSignal(signal: string): string {
  return signalMeanings[signal] ?? signal;
}
