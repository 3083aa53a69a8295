import { mkdirSync } from 'node:fs';
import { startTestJupyterServer } from './test/support/jupyter-server.ts';
import { createJupyterKernel } from './adapters/kernels/jupyter/index.ts';
import { job, runningKernelIds } from './test/jupyter/helpers.ts';
const j = await startTestJupyterServer();
const kernel = createJupyterKernel({ config: j.config({ pool_size: 1 }) });
const ids = () => runningKernelIds(j.server.url, j.server.token);
try {
  await kernel.warmUp();
  console.log('after warmUp', await ids());
  const r = await kernel.execute(job('results = {"x": 1}', j.folder('a')));
  console.log(r.status, await ids());
  await kernel.warmUp();
  console.log('after warmUp2', await ids());
  await new Promise(r => setTimeout(r, 3000));
  console.log('later', await ids());
} finally { await kernel.close(); await j.stop(); }
