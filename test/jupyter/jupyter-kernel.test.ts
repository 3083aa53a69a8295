/**
 * The Jupyter executor against a real Jupyter Server: one fresh kernel per
 * execution (nothing leaks from one to the next), timeouts that interrupt and
 * then kill, dead kernels replaced, output caps, the mode's kernelspec.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJupyterKernel, type JupyterKernel } from '../../adapters/kernels/jupyter/index.ts';
import { kernelContext } from '../../adapters/kernels/registry.ts';
import { KernelUnavailableError } from '../../adapters/kernels/kernel.ts';
import { configSchema } from '../../config/schema.ts';
import { startTestJupyterServer, type TestJupyterServer } from '../support/jupyter-server.ts';
import { tempDir } from '../support/temp.ts';
import { job, kernelPid, kernelProcesses, runningKernelIds, waitFor } from './helpers.ts';

let jupyter: TestJupyterServer;
let kernel: JupyterKernel;
let site: { path: string; remove: () => void };

beforeAll(async () => {
  // An epics module on the modes' PYTHONPATH whose caput only says it wrote.
  site = tempDir('pyexec-fake-epics-');
  chmodSync(site.path, 0o755); // readable by the sandbox's unprivileged uid
  writeFileSync(join(site.path, 'epics.py'), 'def caput(pv, value):\n    return "written"\n');
  const modes = configSchema.parse({}).execution.modes;
  for (const mode of Object.values(modes)) mode.environment = { PYTHONPATH: site.path };
  jupyter = await startTestJupyterServer({ modes });
  const config = jupyter.config({ pool_size: 1, interrupt_grace_seconds: 1 }, { limits: { output_cap_bytes: 1000 } });
  kernel = createJupyterKernel(config.execution.jupyter, kernelContext(config));
  await kernel.warmUp();
}, 120_000);

afterAll(async () => {
  await kernel?.close();
  await jupyter?.stop();
  site?.remove();
});

/** Kernels of the read-only mode (the write-access mode has a pool of its own). */
const ids = () => runningKernelIds(jupyter.server.url, jupyter.server.token, 'python3-epics-readonly');

/** The read-only mode's one warm kernel, once the kernel of the previous execution is shut down. */
async function warmKernelId(): Promise<string> {
  await kernel.warmUp();
  await waitFor(async () => (await ids()).length === 1, 'one warm kernel and no other');
  const [warm] = await ids();
  if (warm === undefined) throw new Error('no warm kernel');
  return warm;
}

describe('jupyter kernel pool', () => {
  it('never lets a variable, an import side effect or a monkeypatch reach the next execution', async () => {
    // A process's identity across PID namespaces (each sandboxed kernel has its own, where pids repeat).
    const identity = 'process = "%s %d" % (os.readlink("/proc/self/ns/pid"), os.getpid())';
    const first = await kernel.execute(
      job(
        [
          'import builtins, math, os, sys',
          identity,
          'leftover = 42',
          'math.sqrt = lambda x: "patched"',
          'builtins.leaked_builtin = True',
          'sys.modules["pyexec_leak_marker"] = sys',
          'results = {"process": process, "patched": math.sqrt(4)}',
        ].join('\n'),
        jupyter.folder('isolation-1'),
      ),
    );
    expect(first.status).toBe('succeeded');
    expect(first.results?.patched).toBe('patched');

    const second = await kernel.execute(
      job(
        [
          'import builtins, math, os, sys',
          identity,
          'results = {',
          '    "process": process,',
          '    "variable": "leftover" in globals(),',
          '    "sqrt": math.sqrt(4),',
          '    "builtin": hasattr(builtins, "leaked_builtin"),',
          '    "module": "pyexec_leak_marker" in sys.modules,',
          '}',
        ].join('\n'),
        jupyter.folder('isolation-2'),
      ),
    );
    expect(second.status).toBe('succeeded');
    expect(second.results).toMatchObject({ variable: false, sqrt: 2, builtin: false, module: false });
    expect(second.results?.process).not.toBe(first.results?.process);
  });

  it('shuts a used kernel down and keeps one warm kernel ahead', async () => {
    await kernel.warmUp();
    const [warm] = await ids();
    const result = await kernel.execute(job('results = {"x": 1}', jupyter.folder('refill')));
    expect(result.results).toEqual({ x: 1 });
    await kernel.warmUp();
    await waitFor(async () => {
      const now = await ids();
      return now.length === 1 && now[0] !== warm;
    }, 'the used kernel to be shut down and one fresh kernel to wait');
  });

  it('interrupts a sleeping kernel at the timeout', async () => {
    const started = performance.now();
    const result = await kernel.execute(job('import time\ntime.sleep(1e9)', jupyter.folder('sleep'), { timeout_seconds: 1 }));
    expect(result.status).toBe('timeout');
    expect(result.error?.type).toBe('Timeout');
    // The kernel answered the interrupt: its KeyboardInterrupt is in the outputs.
    expect(JSON.stringify(result.outputs)).toContain('KeyboardInterrupt');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('kills a kernel that ignores the interrupt, then serves the next execution', async () => {
    const busy = await warmKernelId();
    const code = ['import signal', 'signal.signal(signal.SIGINT, signal.SIG_IGN)', 'while True:', '    pass'].join('\n');
    const result = await kernel.execute(job(code, jupyter.folder('busy'), { timeout_seconds: 1 }));
    expect(result.status).toBe('timeout');
    expect(JSON.stringify(result.outputs)).not.toContain('KeyboardInterrupt');
    await waitFor(() => kernelProcesses(busy).length === 0, `the busy kernel ${busy} to be killed`);
    const next = await kernel.execute(job('results = {"ok": True}', jupyter.folder('after-busy')));
    expect(next.results).toEqual({ ok: true });
  });

  it('reports a kernel that dies during the execution and replaces it', async () => {
    const died = await kernel.execute(job('import os\nos._exit(3)', jupyter.folder('exit')));
    expect(died.status).toBe('runtime_error');
    expect(died.error?.type).toBe('ProcessExited');
    expect(died.error?.message).toContain('status 3');
    const next = await kernel.execute(job('results = {"ok": True}', jupyter.folder('after-exit')));
    expect(next.results).toEqual({ ok: true });
  });

  it('replaces a warm kernel that dies while it waits', async () => {
    const warm = await warmKernelId();
    process.kill(kernelPid(warm), 'SIGKILL');
    await waitFor(async () => !(await ids()).includes(warm), 'the dead warm kernel to be shut down');
    const result = await kernel.execute(job('results = {"ok": True}', jupyter.folder('after-death')));
    expect(result.results).toEqual({ ok: true });
  });

  it('caps stdout and says so', async () => {
    const result = await kernel.execute(job('print("x" * 10_000_000)\nresults = {}', jupyter.folder('cap')));
    expect(result.status).toBe('succeeded');
    expect(result.stdout).toBe('x'.repeat(1000));
    expect(result.output_truncated).toBe(true);
  });

  it('loads context.json as `context` and saves figures', async () => {
    const folder = jupyter.folder('context');
    writeFileSync(join(folder, 'context.json'), JSON.stringify({ beam: { current: 5.5 } }));
    const code = [
      'import matplotlib.pyplot as plt',
      'plt.plot([1, 2, 3])',
      'results = {"current": context.beam.current}',
    ].join('\n');
    const result = await kernel.execute(job(code, folder));
    expect(result.results).toEqual({ current: 5.5 });
    expect(result.figures).toEqual([join(folder, 'figures', 'attempt_01_figure_01.png')]);
    expect(result.outputs.some((output) => output.output_type === 'display_data')).toBe(true);
  });

  it('runs read-only code with the write guard and write-access code without it', async () => {
    const write = 'import epics\nresults = {"wrote": epics.caput("SR:CURRENT", 1)}';
    const refused = await kernel.execute(job(write, jupyter.folder('guard-read-only')));
    expect(refused.status).toBe('runtime_error');
    expect(refused.error?.type).toBe('ControlSystemWriteRefused');

    const allowed = await kernel.execute(job(write, jupyter.folder('guard-write'), { mode: 'write_access', allows_writes: true }));
    expect(allowed.status).toBe('succeeded');
    expect(allowed.results).toEqual({ wrote: 'written' });
  });

  it('refuses to run the code when the kernel cannot prepare the folder (infrastructure)', async () => {
    const missing = join(jupyter.root, 'never-created');
    const attempt = kernel.execute(job(`open("ran", "w").write("yes")\nresults = {}`, missing));
    await expect(attempt).rejects.toBeInstanceOf(KernelUnavailableError);
    await expect(attempt).rejects.toThrow(/could not prepare the execution/);
    expect(existsSync(join(jupyter.root, 'ran'))).toBe(false);
  });

  it('does not show the server token to the code', async () => {
    const result = await kernel.execute(job('import os\nresults = {"env": dict(os.environ)}', jupyter.folder('env')));
    const env = result.results?.env as Record<string, string>;
    expect(env.PYEXEC_ALLOWS_WRITES).toBe('0');
    expect(Object.values(env)).not.toContain(jupyter.server.token);
  });
});
