/**
 * Signals for the process group an execution runs in (its leader called
 * setsid), so whatever the code started goes down with it.
 */
import { constants } from 'node:os';

/** What an attempt signals to stop the code: a process group here, a cgroup or the fork server in the sandbox. */
export interface ProcessTree {
  signal(signal: NodeJS.Signals, includeLeader: boolean): void;
}

export function processGroup(leaderPid: number): ProcessTree {
  return { signal: (signal, includeLeader) => signalGroup(leaderPid, signal, includeLeader) };
}

/** Signals the group, and the leader itself while it may not have its own group yet. */
export function signalGroup(leaderPid: number, signal: NodeJS.Signals, includeLeader: boolean): void {
  trySignal(-leaderPid, signal);
  if (includeLeader) trySignal(leaderPid, signal);
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    // ESRCH: already gone, which is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

const signalNames = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name]),
);

export function signalName(signal: number | string): string {
  return typeof signal === 'string' ? signal : (signalNames.get(signal) ?? `signal ${signal}`);
}

export function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal];
}
