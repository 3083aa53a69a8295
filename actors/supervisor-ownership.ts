/**
 * What the supervisor owns and how it keeps owning it: a lease in each hosted
 * execution's record and its own heartbeat (supervisor-heartbeat.ts), both
 * renewed every third of a lease; and the takeover of non-final executions
 * that are its own (a restart with the same id) or whose owner's lease has
 * expired — at start, and whenever a peer's heartbeat expires.
 */
import { kvKeys } from '../protocol/kv-keys.ts';
import { executionRecordSchema } from '../protocol/record.ts';
import type { KvStore } from '../bus/kv-store.ts';
import type { Logger } from '../logging/logger.ts';
import { ExecutionRunner, type RunnerHooks } from './execution-runner.ts';
import { SupervisorHeartbeat, type PeerHeartbeat } from './supervisor-heartbeat.ts';

export interface OwnershipOptions {
  kv: KvStore;
  logger: Logger;
  /** This supervisor's id: the owner named in the leases it writes. */
  owner: string;
  leaseMs: number;
  /** The executions this supervisor hosts (shared with its inbox). */
  runners: Map<string, ExecutionRunner>;
  hooks: RunnerHooks;
}

export class SupervisorOwnership {
  private readonly heartbeat: SupervisorHeartbeat;
  private leaseTimer: NodeJS.Timeout | null = null;
  private maintaining = false;
  /** The takeover scan running, if any (it may take long on a big store: lease renewals go on meanwhile). */
  private scan: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: OwnershipOptions) {
    this.heartbeat = new SupervisorHeartbeat(options.kv, options.owner, options.leaseMs);
  }

  /** The first heartbeat, then the takeover of what is ours or orphaned. */
  async claim(): Promise<void> {
    await this.heartbeat.beat();
    await this.takeOver();
  }

  /** Renews leases and the heartbeat every third of a lease from now on. */
  maintain(): void {
    this.leaseTimer = setInterval(() => void this.maintainLeases(), Math.max(200, this.options.leaseMs / 3));
  }

  /** Stops renewing (the heartbeat is left to expire) and waits for a takeover scan under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.scan;
  }

  /**
   * Restores non-final executions that are ours (same id) or whose owner's
   * lease has expired, reading every execution record: at start, and when a
   * peer's heartbeat has expired. Returns the owners of the non-final
   * executions left to them (their leases still running).
   */
  private async takeOver(): Promise<Set<string>> {
    const { kv, runners } = this.options;
    const leftToOwners = new Set<string>();
    for (const key of await kv.keys(kvKeys.executionPrefix)) {
      if (this.stopped) break;
      if (runners.has(key.slice(kvKeys.executionPrefix.length))) continue;
      const entry = await kv.get(key);
      const record = entry ? executionRecordSchema.safeParse(entry.value) : null;
      if (!entry || !record?.success || record.data.state === 'done' || runners.has(record.data.execution_id)) continue;
      const expired = Date.parse(record.data.lease_until) < Date.now();
      if (record.data.owner !== this.options.owner && !expired) {
        leftToOwners.add(record.data.owner);
        continue;
      }
      const runner = ExecutionRunner.restore(record.data, entry.revision, this.options.hooks);
      runners.set(record.data.execution_id, runner);
      this.options.logger.info({ executionId: record.data.execution_id, state: record.data.state }, 'took over execution');
      await runner.start().catch(() => {});
      await runner.renewLease();
    }
    return leftToOwners;
  }

  /**
   * Takes over what supervisors whose heartbeat expired left behind, and
   * forgets each of them once nothing of theirs is left running (an
   * execution whose lease had not yet run out is found by a later round).
   */
  private takeOverFrom(peers: PeerHeartbeat[]): void {
    if (this.scan || this.stopped) return;
    this.scan = (async () => {
      const leftToOwners = await this.takeOver();
      for (const peer of peers) if (!leftToOwners.has(peer.supervisor) && !this.stopped) await this.heartbeat.forget(peer);
    })()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'takeover scan failed'))
      .finally(() => (this.scan = null));
  }

  private async maintainLeases(): Promise<void> {
    if (this.maintaining) return; // the store is slow or away: the round still running is enough
    this.maintaining = true;
    try {
      await Promise.all([...this.options.runners.values()].map((runner) => runner.renewLease()));
      await this.heartbeat.beat();
      const expired = await this.heartbeat.expiredPeers();
      if (expired.length > 0) this.takeOverFrom(expired);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'lease maintenance failed');
    } finally {
      this.maintaining = false;
    }
  }
}
