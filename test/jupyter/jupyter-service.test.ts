/**
 * The whole service with `execution_method: container` (the seeds' alias of
 * `jupyter`) against a real Jupyter Server: a request runs end to end on a
 * Jupyter kernel, and the notebook link points at the configured Jupyter
 * base URL, where the server serves that very notebook.
 */
import { relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type PyexecService } from '../../actors/service.ts';
import { notebookLink, urlPath } from '../../adapters/notebook/link.ts';
import { configSchema, type Config } from '../../config/schema.ts';
import { startTestJupyterServer, type TestJupyterServer } from '../support/jupyter-server.ts';

let jupyter: TestJupyterServer;
let config: Config;
let service: PyexecService;

beforeAll(async () => {
  jupyter = await startTestJupyterServer();
  const { url, token } = jupyter.server;
  config = configSchema.parse({
    service: { executions_root: jupyter.root },
    execution: {
      execution_method: 'container',
      modes: configSchema.parse({}).execution.modes,
      jupyter: { url, token, public_url: url, pool_size: 1 },
    },
  });
  service = await startService(config);
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await jupyter?.stop();
});

describe('the service on the Jupyter executor', () => {
  it('runs a request on a Jupyter kernel and links its notebook through the configured Jupyter URL', async () => {
    const handle = await service.client.submit({
      task_objective: 'say hello from a kernel',
      // get_ipython() is None outside a running IPython kernel (the local harness).
      approved_code: 'import IPython\nprint("hello")\nresults = {"x": 1, "in_jupyter": IPython.get_ipython() is not None}\n',
    });
    const summary = await handle.settled;
    expect(summary.error_chain).toEqual([]);
    expect(summary.outcome).toBe('succeeded');
    expect(summary.results).toEqual({ x: 1, in_jupyter: true });
    expect(summary.stdout).toContain('hello');

    const notebook = summary.notebook_path;
    if (notebook === null) throw new Error('the execution has no notebook');
    const link = notebookLink(config, notebook);
    const inRoot = urlPath(relative(jupyter.root, notebook));
    expect(link).toBe(`${jupyter.server.url}notebooks/${inRoot}`);

    const served = await fetch(new URL(`api/contents/${inRoot}`, jupyter.server.url), {
      headers: { Authorization: `token ${jupyter.server.token}` },
    });
    expect(served.status).toBe(200);
    const content = (await served.json()) as { type: string; content: { cells: Array<{ source: string }> } };
    expect(content.type).toBe('notebook');
    expect(content.content.cells.some((cell) => cell.source.includes('"in_jupyter"'))).toBe(true);
  });
});
