/**
 * Each supervisor's heartbeat in KV (`supervisors.<id>`), renewed every lease
 * round. Peers read these few keys each round instead of every execution
 * record: the executions of a supervisor can only be orphaned once its
 * heartbeat has expired, and only then does a peer scan the execution
 * records (takeover). A stopped supervisor leaves its heartbeat to expire, so
 * its unfinished executions are taken over like a dead one's.
 */
import { z } from 'zod';
import { CasConflictError, type KvStore } from '../bus/kv-store.ts';
import { kvKeys } from '../protocol/kv-keys.ts';

const heartbeatSchema = z.object({
  supervisor: z.string(),
  alive_until: z.iso.datetime(),
});

export interface PeerHeartbeat {
  supervisor: string;
  key: string;
}

export class SupervisorHeartbeat {
  private revision: number | null = null;

  constructor(
    private readonly kv: KvStore,
    private readonly supervisor: string,
    private readonly leaseMs: number,
  ) {}

  /** Writes this supervisor's heartbeat, valid for one lease. */
  async beat(): Promise<void> {
    const key = kvKeys.supervisor(this.supervisor);
    const value = { supervisor: this.supervisor, alive_until: new Date(Date.now() + this.leaseMs).toISOString() };
    try {
      this.revision = this.revision === null ? await this.kv.create(key, value) : await this.kv.update(key, value, this.revision);
    } catch (error) {
      if (!(error instanceof CasConflictError)) throw error;
      // Written by an earlier run with this id, or removed by a peer that took our executions over while we were away.
      const current = await this.kv.get(key);
      this.revision = current ? await this.kv.update(key, value, current.revision) : await this.kv.create(key, value);
    }
  }

  /** Other supervisors whose heartbeat has expired (an unreadable heartbeat counts as expired). */
  async expiredPeers(): Promise<PeerHeartbeat[]> {
    const expired: PeerHeartbeat[] = [];
    for (const key of await this.kv.keys(kvKeys.supervisorPrefix)) {
      const entry = await this.kv.get(key);
      if (!entry) continue;
      const heartbeat = heartbeatSchema.safeParse(entry.value);
      const supervisor = heartbeat.success ? heartbeat.data.supervisor : key.slice(kvKeys.supervisorPrefix.length);
      if (supervisor === this.supervisor) continue;
      if (!heartbeat.success || Date.parse(heartbeat.data.alive_until) < Date.now()) expired.push({ supervisor, key });
    }
    return expired;
  }

  /** Forgets a peer whose executions have all been taken over or finished. */
  async forget(peer: PeerHeartbeat): Promise<void> {
    await this.kv.delete(peer.key);
  }
}
