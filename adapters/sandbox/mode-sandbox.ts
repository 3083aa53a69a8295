/**
 * One mode's sandbox: the folders bound into it, its network relays, its
 * cgroups, and the command line that starts a process inside it. A warm
 * fork server runs inside one for its whole life; a cold execution starts
 * one per run; a Jupyter kernel can be started inside one the same way.
 *
 * Inside, `/pyexec/work/<slot>` is an execution's folder (a staging folder
 * pyexec copies back) and `/pyexec/scratch/<slot>` its private TMPDIR and
 * MPLCONFIGDIR; pyexec_confine gives each execution write access to its own
 * two only.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../logging/logger.ts';
import { bwrapArgs, devicePaths, readablePaths, sandboxGid, sandboxUid, type Bind } from './bwrap.ts';
import { ModeCgroups, type CgroupSupport } from './cgroups.ts';
import { hostsFile, planForwards, startRelays, type NetworkPolicy, type Relays } from './network.ts';

export const insideLib = '/pyexec/lib';
export const insideWork = '/pyexec/work';
export const insideScratch = '/pyexec/scratch';
export const insideChannels = '/pyexec/channels';
const pythonFolder = fileURLToPath(new URL('./python/', import.meta.url));
/** PATH inside: the service's own PATH names folders that do not exist there (and tells about the host). */
export const sandboxPath = '/usr/local/bin:/usr/bin:/bin';
const launcherScript = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

export interface ModeSandboxSettings {
  /** The mode's name (folder and cgroup names, logs). */
  name: string;
  /** The interpreter; its prefix is bound read-only when it is not below /usr. */
  python: string;
  network: NetworkPolicy;
  /** Extra read-only folders (the mode's PYTHONPATH entries, other Python files pyexec runs inside). */
  readOnly: readonly Bind[];
  cgroups: CgroupSupport | null;
  logger: Logger;
}

/** Sizes of an execution's private /tmp and /dev/shm (tmpfs; their pages also count against its memory cgroup). */
export const privateTmpBytes = 1024 * 1024 * 1024;
export const privateShmBytes = 512 * 1024 * 1024;

/** The per-execution confinement a process inside applies (pyexec_confine.SlotPlan), as JSON for the harness. */
export interface Confinement {
  work_root: string;
  scratch_root: string;
  readable: string[];
  /** Device nodes readable and writable. */
  devices: string[];
  ports: number[];
  cgroup: Record<string, string | number> | null;
  private_tmp_bytes: number;
  private_shm_bytes: number;
}

export interface SandboxCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

export class ModeSandbox {
  private constructor(
    readonly runDir: string,
    private readonly settings: ModeSandboxSettings,
    private readonly relays: Relays,
    private readonly cgroups: ModeCgroups | null,
    private readonly forwardSpec: { listen_host: string; port: number; socket: string }[],
    private readonly binds: Bind[],
    private readonly extraReadable: string[],
  ) {}

  static async open(settings: ModeSandboxSettings): Promise<ModeSandbox> {
    const runDir = mkdtempSync(join(tmpdir(), `pyexec-sandbox-${settings.name}-`));
    const owner = process.getuid?.() === 0 ? { uid: sandboxUid, gid: sandboxGid } : null;
    for (const sub of ['work', 'scratch', 'net', 'channels']) mkdirSync(join(runDir, sub));
    // Traversable by the sandbox's uid; the folders it writes to are its own.
    chmodSync(runDir, 0o711);
    for (const sub of ['net', 'channels']) chmodSync(join(runDir, sub), 0o755);
    if (owner) for (const sub of ['work', 'scratch']) chownSync(join(runDir, sub), owner.uid, owner.gid);
    const forwards = planForwards(settings.network);
    writeFileSync(join(runDir, 'hosts'), hostsFile(forwards));
    chmodSync(join(runDir, 'hosts'), 0o644);
    const relays = await startRelays(forwards, join(runDir, 'net'), settings.logger);
    let cgroups: ModeCgroups | null = null;
    try {
      cgroups = settings.cgroups ? new ModeCgroups(settings.cgroups, settings.name, owner) : null;
    } catch (error) {
      await relays.close();
      rmSync(runDir, { recursive: true, force: true });
      throw error;
    }
    const readOnly = [...pythonPrefix(settings.python), ...settings.readOnly];
    const binds: Bind[] = [
      { outside: join(runDir, 'hosts'), inside: '/etc/hosts', writable: false },
      { outside: pythonFolder, inside: insideLib, writable: false },
      { outside: join(runDir, 'work'), inside: insideWork, writable: true },
      { outside: join(runDir, 'scratch'), inside: insideScratch, writable: true },
      { outside: join(runDir, 'channels'), inside: insideChannels, writable: false },
      { outside: join(runDir, 'net'), inside: '/pyexec/net', writable: false },
      ...readOnly,
      ...(cgroups?.binds.map((bind) => ({ ...bind, writable: true })) ?? []),
    ];
    const forwardSpec = forwards.map((forward) => ({
      listen_host: forward.listenHost,
      port: forward.endpoint.port,
      socket: `/pyexec/net/${forward.socketName}`,
    }));
    return new ModeSandbox(runDir, settings, relays, cgroups, forwardSpec, binds, readOnly.map((bind) => bind.inside));
  }

  get hasCgroups(): boolean {
    return this.cgroups !== null;
  }

  /** Outside folders the execution cgroups are made in (one per controller; none without cgroups). */
  get cgroupFolders(): string[] {
    return this.cgroups?.binds.map((bind) => bind.outside) ?? [];
  }

  /** Outside path of the folder the channels socket lives in (seen inside at insideChannels). */
  get channelsFolder(): string {
    return join(this.runDir, 'channels');
  }

  confinement(): Confinement {
    return {
      work_root: insideWork,
      scratch_root: insideScratch,
      readable: [...readablePaths, ...this.extraReadable],
      devices: devicePaths,
      ports: [...new Set(this.forwardSpec.map((forward) => forward.port))],
      cgroup: this.cgroups?.insideSpec ?? null,
      private_tmp_bytes: privateTmpBytes,
      private_shm_bytes: privateShmBytes,
    };
  }

  /** The command that runs `inner` (an argv of paths inside) in this sandbox. */
  command(inner: readonly string[], environment: Readonly<Record<string, string>>, chdir = '/tmp'): SandboxCommand {
    const wrapped = this.forwardSpec.length === 0 ? [...inner] : [this.settings.python, `${insideLib}/pyexec_forward.py`, JSON.stringify(this.forwardSpec), '--', ...inner];
    const bwrap = ['bwrap', ...bwrapArgs({ binds: this.binds, environment: { ...environment, PATH: sandboxPath }, chdir }), '--', ...wrapped];
    const asSandboxUser = process.getuid?.() === 0 ? ['setpriv', `--reuid=${sandboxUid}`, `--regid=${sandboxGid}`, '--clear-groups', '--', ...bwrap] : bwrap;
    const procs = this.cgroups?.launcherProcs ?? [];
    const argv = procs.length === 0 ? asSandboxUser : ['/bin/sh', '-c', launcherScript, 'sh', ...procs, '--', ...asSandboxUser];
    // bwrap's own environment is visible inside as /proc/1/environ: nothing of ours.
    return { file: argv[0] ?? 'bwrap', args: argv.slice(1), env: { PATH: '/usr/bin:/bin' } };
  }

  /** Outside paths of an execution's folders. */
  slotFolders(slot: string): { work: string; scratch: string } {
    if (!/^[A-Za-z0-9-]+$/.test(slot)) throw new TypeError(`invalid slot name: ${slot}`);
    return { work: join(this.runDir, 'work', slot), scratch: join(this.runDir, 'scratch', slot) };
  }

  /** Signals every process of the execution (one pass; no-op without cgroups). */
  signal(slot: string, signal: NodeJS.Signals): void {
    this.cgroups?.signal(slot, signal);
  }

  /** After the execution: kill what is left until none is, remove its cgroup and folders (off the event loop: file removals here take milliseconds each). */
  async release(slot: string): Promise<void> {
    try {
      await this.cgroups?.release(slot);
    } finally {
      const folders = this.slotFolders(slot);
      await Promise.all([rm(folders.work, { recursive: true, force: true }), rm(folders.scratch, { recursive: true, force: true })]);
    }
  }

  async close(): Promise<void> {
    await this.cgroups?.close();
    await this.relays.close();
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

/** A mode's PYTHONPATH folders, visible at the same paths inside, read-only (relative or missing entries mean nothing there). */
export function pythonPathBinds(pythonPath: string | undefined): Bind[] {
  return (pythonPath ?? '')
    .split(delimiter)
    .filter((path) => isAbsolute(path) && existsSync(path))
    .map((path) => ({ outside: path, inside: path, writable: false }));
}

/** A Python outside /usr (a virtualenv, a pyenv build) needs its prefix inside, read-only. */
function pythonPrefix(python: string): Bind[] {
  const real = realpathSync(python);
  if (real.startsWith('/usr/')) return [];
  const prefix = dirname(dirname(real));
  return [{ outside: prefix, inside: prefix, writable: false }];
}

