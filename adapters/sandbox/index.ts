/**
 * The OS sandbox every kernel runs in (docs/isolation.md). The API:
 *
 * - `checkSandbox(python, logger)` once at start: resolves what the machine
 *   offers (cgroups, Landlock ABI), or rejects with SandboxUnavailableError
 *   naming what is missing and the fix. Code must not run after a rejection.
 * - `ModeSandbox.open({ name, python, network, readOnly, cgroups, logger })`
 *   per execution mode: folders, network relays, cgroups.
 *   - `command(argv, environment, chdir)` gives `{ file, args, env }` to
 *     spawn: `argv` (paths as seen inside) runs in the sandbox as an
 *     unprivileged uid, own namespaces, read-only system files only.
 *   - `confinement()` is what a process inside hands to
 *     `python/pyexec_confine.py` per execution (its own cgroup, Landlock).
 *   - `slotFolders(slot)`, `signal(slot, sig)`, `release(slot)` are the
 *     outside view of one execution: its staging folders, its processes,
 *     its end (everything killed, cgroup and folders removed).
 *   - `close()`.
 */
export { checkSandbox, type SandboxSupport } from './detect.ts';
export { SandboxUnavailableError } from './errors.ts';
export { ModeSandbox, pythonPathBinds, sandboxPath, insideChannels, insideLib, insideScratch, insideWork, type Confinement, type ModeSandboxSettings, type SandboxCommand } from './mode-sandbox.ts';
export type { NetworkPolicy } from './network.ts';
export { sandboxUid, sandboxGid, type Bind } from './bwrap.ts';
