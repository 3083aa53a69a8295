/**
 * Failed logins, counted per user name and per client address. After a few
 * free failures each further one locks that name (or address) for a delay
 * that doubles with every failure, up to a cap; while locked, a login is
 * refused before its password is looked at, the right one included. Names
 * are counted whether or not such a user exists, so a lock says nothing
 * about which names are real. Counts are forgotten after a quiet hour.
 *
 * Attempts in flight count too: checking a password takes tens of
 * milliseconds, and a burst of parallel guesses must not all pass the check
 * before the first failure is counted. A name or address has at most as many
 * attempts in flight as it has free failures left (one once it has none).
 */
import { RecentMap } from '../adapters/audit/recent-map.ts';

export type LockScope = 'user' | 'address';

interface ThrottleRule {
  /** Failures allowed before the first lock. */
  freeFailures: number;
  /** The first lock; each further failure doubles it. */
  firstDelayMs: number;
  maxDelayMs: number;
}

const rules: Record<LockScope, ThrottleRule> = {
  user: { freeFailures: 5, firstDelayMs: 1_000, maxDelayMs: 15 * 60_000 },
  // One address may try a few names (a shared workstation), not a dictionary of them.
  address: { freeFailures: 20, firstDelayMs: 1_000, maxDelayMs: 15 * 60_000 },
};

const forgetAfterMs = 60 * 60_000;
/** Names and addresses remembered at once: a flood of made-up names evicts the oldest, never grows memory. */
const capacity = 10_000;

export interface Lockout {
  scope: LockScope;
  /** The user name or the client address. */
  key: string;
  failures: number;
  lockedForMs: number;
}

interface Count {
  failures: number;
  inFlight: number;
  lastSeen: number;
  lockedUntil: number;
}

export class LoginThrottle {
  private readonly counts: Record<LockScope, RecentMap<string, Count>> = { user: new RecentMap(capacity), address: new RecentMap(capacity) };

  /** Admits an attempt (0) and holds its place until `finish`, or says how many milliseconds to wait (nothing held). */
  start(user: string, address: string): number {
    const wait = Math.max(this.waitMs('user', user), this.waitMs('address', address));
    if (wait > 0) return wait;
    this.count('user', user).inFlight += 1;
    this.count('address', address).inFlight += 1;
    return 0;
  }

  /** Ends an admitted attempt; a failure is counted and may start locks, which are returned. */
  finish(user: string, address: string, succeeded: boolean): Lockout[] {
    const lockouts: Lockout[] = [];
    for (const [scope, key] of [['user', user], ['address', address]] as const) {
      const count = this.count(scope, key);
      count.inFlight = Math.max(0, count.inFlight - 1);
      if (succeeded) continue;
      const lockout = this.fail(scope, key, count);
      if (lockout) lockouts.push(lockout);
    }
    // A right password clears the name's failures (not the address's: one good account must not wash a dictionary attack).
    if (succeeded && this.count('user', user).inFlight === 0) this.counts.user.delete(user);
    return lockouts;
  }

  private waitMs(scope: LockScope, key: string): number {
    const count = this.counts[scope].get(key);
    if (!count || this.forgotten(count)) return 0;
    const locked = count.lockedUntil - Date.now();
    if (locked > 0) return locked;
    const freeLeft = Math.max(1, rules[scope].freeFailures - count.failures);
    return count.inFlight >= freeLeft ? rules[scope].firstDelayMs : 0;
  }

  private fail(scope: LockScope, key: string, count: Count): Lockout | null {
    const rule = rules[scope];
    count.failures += 1;
    const over = count.failures - rule.freeFailures;
    const lockedForMs = over >= 0 ? Math.min(rule.maxDelayMs, rule.firstDelayMs * 2 ** over) : 0;
    count.lockedUntil = Date.now() + lockedForMs;
    return lockedForMs > 0 ? { scope, key, failures: count.failures, lockedForMs } : null;
  }

  private count(scope: LockScope, key: string): Count {
    const known = this.counts[scope].get(key);
    const count = known && !this.forgotten(known) ? known : { failures: 0, inFlight: known?.inFlight ?? 0, lastSeen: 0, lockedUntil: 0 };
    count.lastSeen = Date.now();
    this.counts[scope].set(key, count);
    return count;
  }

  private forgotten(count: Count): boolean {
    return count.inFlight === 0 && Date.now() - Math.max(count.lastSeen, count.lockedUntil) > forgetAfterMs;
  }
}
