/**
 * `startJupyterServer` (what `pyexec jupyter` runs): token auth, pyexec's
 * sandboxed kernelspecs per mode, a kernel list that holds while kernels
 * start, and KernelUnavailableError when no server answers.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJupyterKernel } from '../../adapters/kernels/jupyter/index.ts';
import { kernelContext } from '../../adapters/kernels/registry.ts';
import type { Kernelspec } from '../../adapters/kernels/jupyter/kernelspecs.ts';
import { launcherPath } from '../../adapters/kernels/jupyter/sandbox.ts';
import { KernelUnavailableError } from '../../adapters/kernels/kernel.ts';
import { configSchema } from '../../config/schema.ts';
import { startTestJupyterServer, type TestJupyterServer } from '../support/jupyter-server.ts';
import { freePort } from '../support/temp.ts';
import { job } from './helpers.ts';

/** The environment the launcher's spec gives the kernel inside the sandbox (bwrap --setenv NAME VALUE). */
function sandboxedEnvironment(spec: Kernelspec | undefined): Record<string, string> {
  const launcher = JSON.parse(readFileSync(spec?.argv[2] ?? '', 'utf8')) as { command: { args: string[] } };
  const args = launcher.command.args;
  return Object.fromEntries(args.flatMap((arg, index) => (arg === '--setenv' ? [[args[index + 1], args[index + 2]]] : [])));
}

let jupyter: TestJupyterServer;

beforeAll(async () => {
  jupyter = await startTestJupyterServer();
});

afterAll(async () => {
  await jupyter?.stop();
});

describe('pyexec jupyter server', () => {
  it('requires the token', async () => {
    const api = new URL('api/kernelspecs', jupyter.server.url);
    expect((await fetch(api)).status).toBe(403);
    expect((await fetch(api, { headers: { Authorization: `token ${jupyter.server.token}` } })).status).toBe(200);
  });

  it('offers a kernelspec per mode that launches its kernel in the sandbox, with the write permission in its environment', async () => {
    const response = await fetch(new URL('api/kernelspecs', jupyter.server.url), {
      headers: { Authorization: `token ${jupyter.server.token}` },
    });
    const body = (await response.json()) as { kernelspecs: Record<string, { spec: Kernelspec }> };
    const readOnly = body.kernelspecs['python3-epics-readonly']?.spec;
    const write = body.kernelspecs['python3-epics-write']?.spec;
    expect(readOnly?.argv).toEqual(['/usr/bin/python3', launcherPath, expect.any(String), '{connection_file}']);
    expect(readOnly?.interrupt_mode).toBe('message');
    expect(readOnly?.metadata.pyexec.sandbox?.work_root).toEqual(expect.any(String));
    expect(sandboxedEnvironment(readOnly).PYEXEC_ALLOWS_WRITES).toBe('0');
    expect(sandboxedEnvironment(write).PYEXEC_ALLOWS_WRITES).toBe('1');
  });

  it('lists its kernels while one is starting (GET api/kernels never fails with 500)', async () => {
    const headers = { Authorization: `token ${jupyter.server.token}` };
    const kernels = new URL('api/kernels', jupyter.server.url);
    let started = false;
    const start = fetch(kernels, { method: 'POST', headers, body: JSON.stringify({ name: 'python3-epics-readonly' }) }).finally(() => {
      started = true;
    });
    const statuses = new Set<number>();
    // The whole start, launch to first reply, is polled: jupyter-server 1.23 lists a kernel before it has its activity markers.
    while (!started) statuses.add((await fetch(kernels, { headers })).status);
    const model = (await (await start).json()) as { id: string };
    await fetch(new URL(`api/kernels/${model.id}`, jupyter.server.url), { method: 'DELETE', headers });
    expect([...statuses]).toEqual([200]);
  });

  it('reports a server that does not answer as KernelUnavailableError', async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    const config = configSchema.parse({ execution: { jupyter: { url, token: 'x', pool_size: 0, start_timeout_seconds: 5 } } });
    const kernel = createJupyterKernel(config.execution.jupyter, kernelContext(config));
    try {
      await expect(kernel.execute(job('results = {}', jupyter.folder('unreachable')))).rejects.toBeInstanceOf(KernelUnavailableError);
    } finally {
      await kernel.close();
    }
  });

  it('reports a wrong token as KernelUnavailableError', async () => {
    const config = jupyter.config({ token: 'wrong', pool_size: 0, start_timeout_seconds: 5 });
    const kernel = createJupyterKernel(config.execution.jupyter, kernelContext(config));
    try {
      await expect(kernel.execute(job('results = {}', jupyter.folder('wrong-token')))).rejects.toThrow(KernelUnavailableError);
    } finally {
      await kernel.close();
    }
  });
});
