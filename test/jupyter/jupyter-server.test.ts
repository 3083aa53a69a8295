/**
 * `startJupyterServer` (what `pyexec jupyter` runs): token auth, pyexec's
 * kernelspecs per mode, and KernelUnavailableError when no server answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJupyterKernel } from '../../adapters/kernels/jupyter/index.ts';
import { KernelUnavailableError } from '../../adapters/kernels/kernel.ts';
import { configSchema } from '../../config/schema.ts';
import { startTestJupyterServer, type TestJupyterServer } from '../support/jupyter-server.ts';
import { freePort } from '../support/temp.ts';
import { job } from './helpers.ts';

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

  it('offers a kernelspec per mode, with the write permission in its environment', async () => {
    const response = await fetch(new URL('api/kernelspecs', jupyter.server.url), {
      headers: { Authorization: `token ${jupyter.server.token}` },
    });
    const body = (await response.json()) as { kernelspecs: Record<string, { spec: { argv: string[]; env: Record<string, string> } }> };
    const readOnly = body.kernelspecs['python3-epics-readonly']?.spec;
    const write = body.kernelspecs['python3-epics-write']?.spec;
    expect(readOnly?.env.PYEXEC_ALLOWS_WRITES).toBe('0');
    expect(write?.env.PYEXEC_ALLOWS_WRITES).toBe('1');
    expect(readOnly?.argv.slice(0, 3)).toEqual(['/usr/bin/python3', '-m', 'ipykernel_launcher']);
  });

  it('reports a server that does not answer as KernelUnavailableError', async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    const config = configSchema.parse({ execution: { jupyter: { url, token: 'x', pool_size: 0, start_timeout_seconds: 5 } } });
    const kernel = createJupyterKernel({ config });
    try {
      await expect(kernel.execute(job('results = {}', jupyter.folder('unreachable')))).rejects.toBeInstanceOf(KernelUnavailableError);
    } finally {
      await kernel.close();
    }
  });

  it('reports a wrong token as KernelUnavailableError', async () => {
    const config = jupyter.config({ token: 'wrong', pool_size: 0, start_timeout_seconds: 5 });
    const kernel = createJupyterKernel({ config });
    try {
      await expect(kernel.execute(job('results = {}', jupyter.folder('wrong-token')))).rejects.toThrow(KernelUnavailableError);
    } finally {
      await kernel.close();
    }
  });
});
