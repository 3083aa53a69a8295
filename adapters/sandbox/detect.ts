/**
 * What this machine offers the sandbox, checked once at start by starting a
 * real one: bwrap present, user namespaces allowed, the mounts accepted,
 * Landlock with signal scoping (ABI >= 6) inside, a private /tmp and
 * /dev/shm per execution (a nested user and mount namespace); and which cgroups can be
 * made. Anything missing for the sandbox itself is a SandboxUnavailableError
 * naming it and the fix; missing cgroups are a gap the caller logs once.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { z } from 'zod';
import type { Logger } from '../../logging/logger.ts';
import { detectCgroups, type CgroupSupport } from './cgroups.ts';
import { SandboxUnavailableError } from './errors.ts';
import { insideLib, ModeSandbox } from './mode-sandbox.ts';

const requiredLandlockAbi = 6;
/** What python/pyexec_confine.py prints when run as the probe. */
const probeOutputSchema = z.object({ landlock_abi: z.number().int(), private_mounts_refused: z.string().nullable() });
const probeTimeoutMs = 30_000;

export interface SandboxSupport {
  cgroups: CgroupSupport | null;
  /** Why there are no cgroups (logged once), null when there are. */
  cgroupGap: string | null;
  landlockAbi: number;
}

const checked = new Map<string, Promise<SandboxSupport>>();
const defaultSearchPath = () => `${process.env.PATH ?? ''}:/usr/bin:/bin`;

/**
 * Once per interpreter per process; a failure is not cached (the machine may
 * be fixed meanwhile). `searchPath` is where bwrap is looked for.
 */
export function checkSandbox(python: string, logger: Logger, searchPath = defaultSearchPath()): Promise<SandboxSupport> {
  const key = `${python}\0${searchPath}`;
  let found = checked.get(key);
  if (!found) {
    found = probe(python, logger, searchPath);
    checked.set(key, found);
    found.then(
      (support) => {
        if (support.cgroupGap !== null) {
          logger.warn({ gap: support.cgroupGap }, 'sandbox without cgroups: executions are bounded by rlimits only (no memory bound for a whole execution, no pids bound per execution); survivors are killed when the sandbox is idle');
        }
      },
      () => checked.delete(key),
    );
  }
  return found;
}

async function probe(python: string, logger: Logger, searchPath: string): Promise<SandboxSupport> {
  const bwrap = await findBwrap(searchPath);
  if (bwrap === null) throw new SandboxUnavailableError('bubblewrap (bwrap) is not installed', 'apt-get install bubblewrap (scripts/setup.sh does)');
  if (process.getuid?.() === 0 && !(await isExecutable('/usr/bin/setpriv'))) {
    throw new SandboxUnavailableError('setpriv is missing (the sandbox drops root through it)', 'apt-get install util-linux');
  }
  const detection = detectCgroups();
  const sandbox = await ModeSandbox.open({ name: 'probe', python, network: 'none', readOnly: [], cgroups: null, logger });
  try {
    const command = sandbox.command([python, `${insideLib}/pyexec_confine.py`], { PATH: '/usr/bin:/bin' });
    const found = probeOutputSchema.parse(JSON.parse(await run(command.file, command.args, command.env)));
    const abi = found.landlock_abi;
    if (!(abi >= requiredLandlockAbi)) {
      throw new SandboxUnavailableError(
        `Landlock ABI ${requiredLandlockAbi} or newer is needed, the kernel offers ${abi > 0 ? abi : 'none'}`,
        'a Linux kernel >= 6.12 with Landlock enabled (CONFIG_SECURITY_LANDLOCK=y, "landlock" in the lsm= boot parameter)',
      );
    }
    if (found.private_mounts_refused !== null) {
      throw new SandboxUnavailableError(
        `an execution cannot get a private /tmp and /dev/shm (a user and mount namespace of its own inside the sandbox: ${found.private_mounts_refused})`,
        'allow nested unprivileged user namespaces (user.max_user_namespaces > 0; no AppArmor or seccomp policy refusing them inside bwrap)',
      );
    }
    return 'support' in detection
      ? { cgroups: detection.support, cgroupGap: null, landlockAbi: abi }
      : { cgroups: null, cgroupGap: detection.gap, landlockAbi: abi };
  } finally {
    await sandbox.close();
  }
}

async function findBwrap(searchPath: string): Promise<string | null> {
  for (const folder of searchPath.split(':')) {
    if (folder && (await isExecutable(`${folder}/bwrap`))) return `${folder}/bwrap`;
  }
  return null;
}

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

function run(file: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: probeTimeoutMs }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      reject(explain(stderr || error.message));
    });
  });
}

/** bwrap's own words, with what to do about them. */
function explain(stderr: string): SandboxUnavailableError {
  const said = stderr.trim().split('\n').slice(-3).join(' ');
  if (/namespace|clone|unshare|uid map|setting up uid/i.test(said)) {
    return new SandboxUnavailableError(
      `user namespaces are refused (bwrap: ${said})`,
      'allow unprivileged user namespaces: sysctl -w user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1 (and, under AppArmor, kernel.apparmor_restrict_unprivileged_userns=0)',
    );
  }
  if (/mount|bind|tmpfs|proc/i.test(said)) {
    return new SandboxUnavailableError(`a mount was refused (bwrap: ${said})`, 'run the executor where bwrap may mount (not in a container that forbids mounts in user namespaces)');
  }
  return new SandboxUnavailableError(`the sandbox did not start (${said})`, 'check that bwrap runs: bwrap --unshare-all --ro-bind /usr /usr /usr/bin/true');
}
