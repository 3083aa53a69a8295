/**
 * cgroups for executions: pids and memory bounds on everything an execution
 * starts, and the way to kill all of it at the end (`setsid` or not).
 * cgroup v2 (the norm) and v1 (`pids` and `memory` hierarchies, as on these
 * machines) are detected at start; without a writable one the caller falls
 * back to rlimits and logs the gap once.
 *
 * Layout: below our own cgroup, `pyexec/<mode group>/` is delegated to the
 * sandbox's uid and bound into the sandbox at `/pyexec/cg`; inside, each
 * execution creates `<slot>/` and moves itself in (python/pyexec_confine.py).
 * Outside, the executor kills and removes `<slot>/` when the execution ends.
 */
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';

export type CgroupSupport = { version: 1; pids: string; memory: string } | { version: 2; dir: string };

export type CgroupDetection = { support: CgroupSupport } | { gap: string };

const cgroupRoot = '/sys/fs/cgroup';
const releasePollMs = 20;
const releaseTimeoutMs = 10_000;

/** Our own cgroup path per v1 controller ("" for v2), from /proc/self/cgroup. */
function ownCgroups(): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers = '', path = ''] = line.split(':');
    for (const controller of controllers.split(',')) paths.set(controller, path);
  }
  return paths;
}

function usableFolder(folder: string): boolean {
  try {
    mkdirSync(folder, { recursive: true });
    const probe = join(folder, `probe-${randomBytes(4).toString('hex')}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * Mode folders (`<mode>-<pid>-<hex>`) of executors that died without closing
 * them: their processes are gone with them, so the empty folders are removed.
 */
function removeStale(folder: string): void {
  for (const leaf of safeEntries(folder)) {
    const pid = Number(/-(\d+)-[0-9a-f]{6}$/.exec(leaf)?.[1] ?? Number.NaN);
    if (!Number.isInteger(pid) || isAlive(pid)) continue;
    const path = join(folder, leaf);
    for (const inner of safeEntries(path)) tryRmdir(join(path, inner));
    tryRmdir(path);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryRmdir(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // Not empty (a process still exiting) or gone: left for the next start.
  }
}

export function detectCgroups(): CgroupDetection {
  const own = ownCgroups();
  if (existsSync(join(cgroupRoot, 'cgroup.controllers'))) {
    const base = join(cgroupRoot, own.get('') ?? '/');
    const dir = join(base, 'pyexec');
    try {
      if (!usableFolder(dir)) throw new Error(`cannot create cgroups in ${base}`);
      writeFileSync(join(dir, 'cgroup.subtree_control'), '+pids +memory');
      removeStale(dir);
      return { support: { version: 2, dir } };
    } catch (error) {
      return { gap: `cgroup v2 at ${base} is not delegated to pyexec (${String(error)})` };
    }
  }
  const pids = own.get('pids');
  const memory = own.get('memory');
  if (pids === undefined || memory === undefined) return { gap: 'no cgroup v2 and no cgroup v1 pids and memory hierarchies' };
  const support = {
    version: 1 as const,
    pids: join(cgroupRoot, 'pids', pids, 'pyexec'),
    memory: join(cgroupRoot, 'memory', memory, 'pyexec'),
  };
  if (!usableFolder(support.pids) || !usableFolder(support.memory)) {
    return { gap: `cgroup v1 pids/memory folders ${support.pids}, ${support.memory} are not writable` };
  }
  removeStale(support.pids);
  removeStale(support.memory);
  return { support };
}

/** What the sandbox binds and what its processes are told (pyexec_confine.join_cgroup). */
export interface CgroupBinding {
  outside: string;
  inside: string;
}

/** The cgroups of one mode's sandbox: delegated folders and per-execution slots. */
export class ModeCgroups {
  private readonly folders: Record<string, string>;

  constructor(
    private readonly support: CgroupSupport,
    name: string,
    owner: { uid: number; gid: number } | null,
  ) {
    const leaf = `${name}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.folders = support.version === 1 ? { pids: join(support.pids, leaf), memory: join(support.memory, leaf) } : { unified: join(support.dir, leaf) };
    for (const folder of Object.values(this.folders)) {
      mkdirSync(folder);
      if (support.version === 2) writeFileSync(join(folder, 'cgroup.subtree_control'), '+pids +memory');
      if (owner) delegate(folder, owner);
    }
    if (support.version === 2) {
      // v2 moves need write access on the common ancestor: the sandbox itself starts in a leaf of ours.
      mkdirSync(join(this.folders.unified ?? '', 'sandbox'));
      if (owner) delegate(join(this.folders.unified ?? '', 'sandbox'), owner);
    }
  }

  /** Bind mounts: outside folder -> inside path. */
  get binds(): CgroupBinding[] {
    return Object.entries(this.folders).map(([controller, outside]) => ({ outside, inside: `/pyexec/cg/${controller}` }));
  }

  /** For pyexec_confine.join_cgroup, in the sandbox's paths. */
  get insideSpec(): Record<string, string | number> {
    return this.support.version === 1
      ? { version: 1, pids: '/pyexec/cg/pids', memory: '/pyexec/cg/memory' }
      : { version: 2, dir: '/pyexec/cg/unified' };
  }

  /** cgroup.procs files the sandbox's first process joins before it starts bwrap (v2 only). */
  get launcherProcs(): string[] {
    return this.support.version === 2 ? [join(this.folders.unified ?? '', 'sandbox', 'cgroup.procs')] : [];
  }

  /** Processes in an execution's cgroup, as pids of our namespace. */
  processes(slot: string): number[] {
    const folder = this.slotFolders(slot)[0];
    if (folder === undefined) return [];
    try {
      return readFileSync(join(folder, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** One pass of `signal` over the execution's processes; SIGKILL uses cgroup.kill where there is one. */
  signal(slot: string, signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL' && this.support.version === 2) {
      try {
        writeFileSync(join(this.folders.unified ?? '', slot, 'cgroup.kill'), '1');
        return;
      } catch {
        // Older v2 without cgroup.kill: signal each process.
      }
    }
    for (const pid of this.processes(slot)) {
      try {
        process.kill(pid, signal);
      } catch {
        // Gone already.
      }
    }
  }

  /**
   * Kills until the cgroup is empty (forks in flight included), then removes it.
   * The removal is asynchronous: removing a memory cgroup that held an
   * execution's pages takes the kernel milliseconds, which must not block
   * the event loop that runs the next execution.
   */
  async release(slot: string): Promise<void> {
    const deadline = Date.now() + releaseTimeoutMs;
    for (;;) {
      this.signal(slot, 'SIGKILL');
      if (this.processes(slot).length === 0 && (await this.removeSlot(slot))) return;
      if (Date.now() > deadline) throw new Error(`cgroup ${slot} still has processes after ${releaseTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, releasePollMs));
    }
  }

  /** Releases every slot (spares included), then the mode's folders. */
  async close(): Promise<void> {
    const slots = new Set<string>();
    for (const folder of Object.values(this.folders)) {
      for (const entry of safeEntries(folder)) if (entry !== 'sandbox') slots.add(entry);
    }
    await Promise.all([...slots].map((slot) => this.release(slot).catch(() => undefined)));
    for (const folder of Object.values(this.folders)) {
      for (const leaf of [join(folder, 'sandbox'), folder]) {
        try {
          if (existsSync(leaf)) rmdirSync(leaf);
        } catch {
          // Still busy (a process exiting); the kernel frees it once empty, the folder stays.
        }
      }
    }
  }

  private slotFolders(slot: string): string[] {
    if (!/^[A-Za-z0-9-]+$/.test(slot)) throw new TypeError(`invalid cgroup slot name: ${slot}`);
    return Object.values(this.folders).map((folder) => join(folder, slot));
  }

  private async removeSlot(slot: string): Promise<boolean> {
    for (const folder of this.slotFolders(slot)) {
      try {
        await rmdir(folder);
      } catch (error) {
        // Gone already is done; busy (a process still exiting) is tried again.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
      }
    }
    return true;
  }
}

function safeEntries(folder: string): string[] {
  try {
    return readdirSync(folder).filter((entry) => statSync(join(folder, entry)).isDirectory());
  } catch {
    return [];
  }
}

/** The folder and its interface files belong to the sandbox's uid: it creates execution cgroups below. */
function delegate(folder: string, owner: { uid: number; gid: number }): void {
  chownSync(folder, owner.uid, owner.gid);
  for (const file of ['cgroup.procs', 'tasks', 'cgroup.subtree_control', 'cgroup.threads']) {
    if (existsSync(join(folder, file))) chownSync(join(folder, file), owner.uid, owner.gid);
  }
}
