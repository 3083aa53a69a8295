import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { startJupyterServer } from './adapters/kernels/jupyter/server.ts';
import { createJupyterKernel } from './adapters/kernels/jupyter/index.ts';
import { configSchema } from './config/schema.ts';
const base = configSchema.parse({});
const server = await startJupyterServer({ modes: base.execution.modes, rootDir: '/tmp/jtest' });
const config = configSchema.parse({ execution: { jupyter: { url: server.url, token: server.token, pool_size: 1 } } });
const kernel = createJupyterKernel({ config });
let n = 0;
async function run(code: string, timeout = 10) {
  const folder = `/tmp/jtest/ex${++n}`; mkdirSync(folder, { recursive: true });
  writeFileSync(`${folder}/context.json`, JSON.stringify({ beam: { current: 5 } }));
  const t = performance.now();
  const r = await kernel.execute({ command_id: 'c'+n, execution_id: 'exec-0000-'+n, attempt: 1, code, code_sha256: createHash('sha256').update(code).digest('hex'), mode: 'read_only', allows_writes: false, folder, timeout_seconds: timeout });
  console.log((performance.now()-t).toFixed(1), JSON.stringify({ ...r, outputs: r.outputs.map(o => JSON.stringify(o).slice(0, 150)) }).slice(0, 900));
}
try {
  await kernel.warmUp();





  await run('import os\nos._exit(3)');
  await run('print("x"*10_000_000)\nresults={}');
  await run('import epics\nepics.caput("A", 1)\nresults={}');
  await run('import os\nresults={"env": dict(os.environ)}');
} finally { await kernel.close(); await server.stop(); }
