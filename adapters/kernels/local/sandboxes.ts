/**
 * The local kernel's sandboxes, one per execution mode, opened on first use
 * after the machine was checked once (fail closed: a SandboxUnavailableError
 * reaches every execution, none runs). Shared by the warm fork server and the
 * cold path of the mode. Read-only inside: the harness folder and the mode's
 * PYTHONPATH entries (site packages an operator configured).
 */
import { dirname } from 'node:path';
import { checkSandbox, insideLib, ModeSandbox, pythonPathBinds } from '../../sandbox/index.ts';
import type { ForkServerSandbox } from './fork-server.ts';
import { harnessPath } from './harness-protocol.ts';
import { resolvePython } from './python-resolver.ts';
import type { LocalKernelOptions, LocalModeOptions } from './options.ts';

const insideHarnessFolder = '/pyexec/harness';
const insideHarness = `${insideHarnessFolder}/pyexec_harness.py`;

export class LocalSandboxes {
  private readonly opened = new Map<string, Promise<ForkServerSandbox>>();

  constructor(private readonly options: LocalKernelOptions) {}

  get enabled(): boolean {
    return this.options.isolation === 'sandbox';
  }

  /** The machine's check, at start: its failure is logged where operators look first (every execution fails with it too). */
  async check(): Promise<void> {
    await checkSandbox(await resolvePython(this.options.pythonEnvPath), this.options.logger);
  }

  /** The mode's sandbox, or null when isolation is `none`. */
  async forMode(name: string, mode: LocalModeOptions, python: string): Promise<ForkServerSandbox | null> {
    if (!this.enabled) return null;
    let found = this.opened.get(name);
    if (!found) {
      found = this.open(name, mode, python);
      this.opened.set(name, found);
      found.catch(() => this.opened.delete(name));
    }
    return found;
  }

  async close(): Promise<void> {
    const all = [...this.opened.values()];
    this.opened.clear();
    await Promise.all(all.map((opened) => opened.then((s) => s.sandbox.close()).catch(() => undefined)));
  }

  private async open(name: string, mode: LocalModeOptions, python: string): Promise<ForkServerSandbox> {
    const support = await checkSandbox(python, this.options.logger);
    const sandbox = await ModeSandbox.open({
      name: name.replace(/[^A-Za-z0-9]/g, '-'),
      python,
      network: mode.network,
      readOnly: [{ outside: dirname(harnessPath), inside: insideHarnessFolder, writable: false }, ...pythonPathBinds(mode.environment.PYTHONPATH)],
      cgroups: support.cgroups,
      logger: this.options.logger,
    });
    const confinement = JSON.stringify({
      ...sandbox.confinement(),
      lib: insideLib,
      pids_max: this.options.maxProcesses,
      memory_bytes: this.options.memoryMb * 1024 * 1024,
    });
    return { sandbox, harness: insideHarness, confinement };
  }
}
