/**
 * Jupyter kernels in pyexec's OS sandbox (adapters/sandbox/, docs/isolation.md).
 * One ModeSandbox per execution mode lives as long as the Jupyter server: its
 * network relays, its cgroups and the folders its kernels' slots go in. The
 * mode's kernelspec runs python/pyexec_kernel_sandbox.py, which starts each
 * kernel in that sandbox from the spec written here (the sandbox command,
 * with `@SLOT@` for the kernel's slot). The Jupyter server must use ZMQ ipc
 * sockets (KernelManager.transport=ipc): the kernel's network namespace has
 * only its own loopback, and the sockets cross the boundary as files.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionModeConfig } from '../../../config/schema.ts';
import type { Logger } from '../../../logging/logger.ts';
import { checkSandbox, insideChannels, insideLib, ModeSandbox, pythonPathBinds, sandboxGid, sandboxUid, type Bind, type NetworkPolicy } from '../../sandbox/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const launcherPath = resolve(here, 'python/pyexec_kernel_sandbox.py');
const insideJupyter = '/pyexec/jupyter';
const insideHarness = '/pyexec/harness';
/** Where slot names come from: the launcher names a kernel's slot `k-<kernel id>`. */
export const slotOf = (kernelId: string): string => `k-${kernelId}`;

export interface SandboxLimits {
  memoryMb: number;
  /** Processes the code may start; the kernel's cgroup also holds the kernel's own threads. */
  maxProcesses: number;
}

/** ipykernel's threads, ZMQ's and BLAS's: pids.max counts threads too. */
const kernelThreads = 64;

/** A mode's sandbox as its kernelspec uses it. */
export interface JupyterModeSandbox {
  /** The launcher's spec file (kernelspec argv). */
  specFile: string;
  /** Outside folder of the kernels' staging folders (`<workRoot>/k-<kernel id>`), for the executor to copy back. */
  workRoot: string;
}

export interface JupyterSandboxes {
  readonly modes: ReadonlyMap<string, JupyterModeSandbox>;
  close(): Promise<void>;
}

export interface JupyterSandboxOptions {
  modes: Record<string, ExecutionModeConfig & { network?: NetworkPolicy }>;
  python: string;
  /** Where the launcher specs go (the server's state folder). */
  stateDir: string;
  limits: SandboxLimits;
  logger: Logger;
}

/** Checks the machine (fail closed: SandboxUnavailableError), then opens one sandbox per mode. */
export async function openJupyterSandboxes(options: JupyterSandboxOptions): Promise<JupyterSandboxes> {
  const support = await checkSandbox(options.python, options.logger);
  const opened: ModeSandbox[] = [];
  const modes = new Map<string, JupyterModeSandbox>();
  const close = async () => {
    await Promise.all(opened.map((sandbox) => sandbox.close()));
  };
  try {
    for (const [name, mode] of Object.entries(options.modes)) {
      const extra = pythonPathBinds(mode.environment.PYTHONPATH);
      const sandbox = await ModeSandbox.open({
        // Folder and cgroup names.
        name: name.replace(/[^A-Za-z0-9]/g, '-'),
        python: options.python,
        network: mode.network ?? 'none',
        readOnly: [
          { outside: resolve(here, 'python'), inside: insideJupyter, writable: false },
          { outside: resolve(here, '../python'), inside: insideHarness, writable: false },
          ...extra,
        ],
        cgroups: support.cgroups,
        logger: options.logger,
      });
      opened.push(sandbox);
      const specFile = join(options.stateDir, `sandbox-${name}.json`);
      writeFileSync(specFile, JSON.stringify(launcherSpec(sandbox, name, mode, extra, options)), { mode: 0o600 });
      modes.set(name, { specFile, workRoot: join(sandbox.runDir, 'work') });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { modes, close };
}

function launcherSpec(sandbox: ModeSandbox, name: string, mode: ExecutionModeConfig, extra: Bind[], options: JupyterSandboxOptions) {
  const confine = {
    ...sandbox.confinement(),
    lib: insideLib,
    pids_max: options.limits.maxProcesses + kernelThreads,
    memory_bytes: options.limits.memoryMb * 1024 * 1024,
  };
  const kernel = [options.python, '-m', 'ipykernel_launcher', '--IPKernelApp.extensions=pyexec_jupyter', '--HistoryManager.enabled=False'];
  const inner = [options.python, `${insideJupyter}/pyexec_kernel_start.py`, '@SLOT@', JSON.stringify(confine), `${insideChannels}/@SLOT@.json`, '--', ...kernel];
  const environment = {
    ...mode.environment,
    PATH: '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    // Set after the mode's environment: a mode cannot turn the guard off by naming these.
    PYEXEC_MODE: name,
    PYEXEC_ALLOWS_WRITES: mode.allows_writes ? '1' : '0',
    PYTHONPATH: [insideJupyter, insideHarness, insideLib, ...extra.map((bind) => bind.inside)].join(':'),
    MPLBACKEND: 'Agg',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  const command = sandbox.command(inner, environment, '/tmp');
  const root = process.getuid?.() === 0;
  return {
    command,
    channels: sandbox.channelsFolder,
    work_root: join(sandbox.runDir, 'work'),
    scratch_root: join(sandbox.runDir, 'scratch'),
    cgroup_folders: sandbox.cgroupFolders,
    uid: root ? sandboxUid : null,
    gid: root ? sandboxGid : null,
  };
}
