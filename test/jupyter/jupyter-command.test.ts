/**
 * `pyexec jupyter` end to end: the real command starts a Jupyter Server with
 * the configuration's kernelspecs, prints the configuration that points
 * pyexec at it (which then runs an execution there), and on SIGINT stops
 * the server and its kernels and exits 0.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createJupyterKernel } from '../../adapters/kernels/jupyter/index.ts';
import { kernelContext } from '../../adapters/kernels/registry.ts';
import { configSchema } from '../../config/schema.ts';
import { startCli, type CliRun } from '../support/cli.ts';
import { tempDir } from '../support/temp.ts';
import { isAlive, job, kernelPid, waitFor } from './helpers.ts';

const folder = tempDir('pyexec-jupyter-command-');
const modes = {
  read_only: { kernel_name: 'pyexec-command-readonly', allows_writes: false },
  write_access: { kernel_name: 'pyexec-command-write', allows_writes: true, requires_approval: true },
};
let cli: CliRun | undefined;

afterAll(async () => {
  if (cli && cli.child.exitCode === null && cli.child.signalCode === null) {
    cli.child.kill('SIGTERM');
    await cli.result;
  }
  folder.remove();
});

/** The configuration the command printed: everything from `execution:` on is YAML. */
function printedConfig(stdout: string): { url: string; token: string; snippet: Record<string, unknown> } {
  const start = stdout.indexOf('\nexecution:');
  if (start < 0) throw new Error(`no configuration snippet in the output:\n${stdout}`);
  const snippet = parse(stdout.slice(start)) as { execution: { jupyter: { url: string; token: string } } };
  return { url: snippet.execution.jupyter.url, token: snippet.execution.jupyter.token, snippet };
}

async function api(url: string, token: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(new URL(path, url), { ...init, headers: { Authorization: `token ${token}` } });
}

describe('pyexec jupyter', () => {
  it('serves the configured kernelspecs, prints a configuration that works, and stops cleanly on SIGINT', async () => {
    const root = join(folder.path, 'executions');
    const configFile = join(folder.path, 'pyexec.config.yaml');
    writeFileSync(configFile, stringify({ execution: { modes } }));
    cli = startCli(['jupyter', '--port', '0', '--root', root, '--config', configFile]);
    let stdout = '';
    cli.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await cli.waitForStderr('ready at', 90_000);
    await waitFor(() => stdout.includes('executions_root:'), 'the configuration on stdout');
    const printed = printedConfig(stdout);
    expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(printed.snippet).toMatchObject({ execution: { execution_method: 'jupyter', jupyter: { public_url: printed.url } }, service: { executions_root: root } });

    expect((await fetch(new URL('api/kernelspecs', printed.url))).status).toBe(403);
    const specs = (await (await api(printed.url, printed.token, 'api/kernelspecs')).json()) as { kernelspecs: Record<string, unknown> };
    expect(Object.keys(specs.kernelspecs)).toEqual(expect.arrayContaining(['pyexec-command-readonly', 'pyexec-command-write']));

    const config = configSchema.parse({ ...printed.snippet, execution: { ...(printed.snippet.execution as object), modes, jupyter: { ...(printed.snippet.execution as { jupyter: object }).jupyter, pool_size: 0 } } });
    const kernel = createJupyterKernel(config.execution.jupyter, kernelContext(config));
    try {
      const executionFolder = join(root, 'through-the-command');
      mkdirSync(executionFolder, { recursive: true });
      // Sandboxed, the code works in a staging folder that is copied into the execution folder.
      const result = await kernel.execute(job('open("written.txt", "w").write("here")\nresults = {"x": 1}', executionFolder));
      expect(result.error).toBeUndefined();
      expect(result.results).toEqual({ x: 1 });
      expect(readFileSync(join(executionFolder, 'written.txt'), 'utf8')).toBe('here');
    } finally {
      await kernel.close();
    }

    // A kernel left running when the command stops must go with the server.
    const started = (await (await api(printed.url, printed.token, 'api/kernels', { method: 'POST', body: JSON.stringify({ name: 'pyexec-command-readonly' }) })).json()) as { id: string };
    let pid = 0;
    await waitFor(() => {
      try {
        pid = kernelPid(started.id);
        return true;
      } catch {
        return false;
      }
    }, 'the kernel process');

    cli.child.kill('SIGINT');
    const ended = await cli.result;
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stderr).toContain('SIGINT, shutting the server and its kernels down');
    await waitFor(() => !isAlive(pid), 'the kernel process to end', 15_000);
    await expect(fetch(new URL('api/status', printed.url))).rejects.toThrow();
  }, 180_000);
});
