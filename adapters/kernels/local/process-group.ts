/**
 * Signals for the process group an execution runs in (its leader called
 * setsid), so whatever the code started goes down with it.
 */
import { constants } from 'node:os';

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
