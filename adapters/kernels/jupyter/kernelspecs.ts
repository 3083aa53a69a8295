/**
 * Kernelspecs for pyexec's execution modes, generated from the configuration
 * (the one source of truth for kernel names, write permission and extra
 * environment). Each mode gets `<dir>/kernels/<kernel_name>/kernel.json`;
 * point Jupyter at `<dir>` with JUPYTER_PATH.
 *
 * The kernel loads the pyexec extension at start, so the read-only guard is in
 * place before any code runs (PYEXEC_ALLOWS_WRITES says which way), and
 * matplotlib renders off-screen (Agg) so figures stay open until the harness
 * saves them, exactly as in local mode.
 *
 * Sandboxed (the default, sandbox.ts), the kernelspec runs the sandbox
 * launcher instead, which starts the same kernel inside the mode's sandbox
 * with the environment the sandbox spec holds; interrupts then travel as
 * messages (the kernel is out of reach of the server's signals), and the
 * metadata tells the executor where the kernels' staging folders are.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionModeConfig } from '../../../config/schema.ts';
import { matplotlibConfigDir } from '../local/environment.ts';
import { launcherPath, type JupyterModeSandbox } from './sandbox.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** Python modules the kernel imports: the shared harness and the Jupyter glue. */
export const kernelPythonPath = [resolve(here, '../python'), resolve(here, 'python')];
export const kernelExtension = 'pyexec_jupyter';
export const defaultKernelPython = '/usr/bin/python3';

export interface KernelspecOptions {
  /** Interpreter with ipykernel installed (Debian: /usr/bin/python3). */
  python?: string;
  /** Per mode name: the mode's sandbox; absent runs kernels unsandboxed (execution.isolation: none). */
  sandboxes?: ReadonlyMap<string, JupyterModeSandbox>;
}

export interface Kernelspec {
  argv: string[];
  display_name: string;
  language: 'python';
  env: Record<string, string>;
  interrupt_mode?: 'message';
  metadata: { pyexec: { mode: string; allows_writes: boolean; sandbox?: { work_root: string } } };
}

export function kernelspecFor(mode: string, config: ExecutionModeConfig, options: KernelspecOptions = {}): Kernelspec {
  const python = options.python ?? defaultKernelPython;
  const sandbox = options.sandboxes?.get(mode);
  if (sandbox) {
    return {
      argv: [python, launcherPath, sandbox.specFile, '{connection_file}'],
      display_name: `pyexec ${mode} (${config.allows_writes ? 'write access' : 'read-only'}, sandboxed)`,
      language: 'python',
      env: {},
      interrupt_mode: 'message',
      metadata: { pyexec: { mode, allows_writes: config.allows_writes, sandbox: { work_root: sandbox.workRoot } } },
    };
  }
  return {
    // No history: a kernel runs one execution, and IPython would write each one to an SQLite file all kernels share, from a thread of its own.
    argv: [python, '-m', 'ipykernel_launcher', '-f', '{connection_file}', `--IPKernelApp.extensions=${kernelExtension}`, '--HistoryManager.enabled=False'],
    display_name: `pyexec ${mode} (${config.allows_writes ? 'write access' : 'read-only'})`,
    language: 'python',
    env: {
      ...config.environment,
      // Set after the mode's environment: a mode cannot turn the guard off by naming these.
      PYEXEC_MODE: mode,
      PYEXEC_ALLOWS_WRITES: config.allows_writes ? '1' : '0',
      PYTHONPATH: [...kernelPythonPath, config.environment.PYTHONPATH].filter(Boolean).join(':'),
      MPLBACKEND: 'Agg',
      MPLCONFIGDIR: matplotlibConfigDir,
      PYTHONDONTWRITEBYTECODE: '1',
    },
    metadata: { pyexec: { mode, allows_writes: config.allows_writes } },
  };
}

/** Writes one kernelspec per mode under `<dataDir>/kernels/`; returns the kernel names. */
export function writeKernelspecs(
  dataDir: string,
  modes: Record<string, ExecutionModeConfig>,
  options: KernelspecOptions = {},
): string[] {
  return Object.entries(modes).map(([mode, config]) => {
    const folder = join(dataDir, 'kernels', config.kernel_name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'kernel.json'), `${JSON.stringify(kernelspecFor(mode, config, options), null, 2)}\n`);
    return config.kernel_name;
  });
}
