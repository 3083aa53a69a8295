import { mkdtempSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '/work/main/config/schema.ts';
import { createLocalKernel, localKernelOptions } from '/work/main/adapters/kernels/local/index.ts';

const config = configSchema.parse({});
for (const warm of [false, true]) {
  const kernel = createLocalKernel(localKernelOptions(config, { warm }));
  for (const code of ['results = {"x": 1}', 'import numpy as np\nimport matplotlib.pyplot as plt\nplt.plot([1,2])\nprint("hi")\nresults={"m": np.arange(3).mean()}', '1/0', 'import time; time.sleep(100)']) {
    const folder = mkdtempSync(join(tmpdir(), 'smoke-'));
    const t = performance.now();
    const r = await kernel.execute({ command_id: 'c', execution_id: 'abcdefgh', attempt: 1, code, code_sha256: createHash('sha256').update(code).digest('hex'), mode: 'read_only', allows_writes: false, folder, timeout_seconds: 2 });
    console.log(warm, (performance.now() - t).toFixed(1), JSON.stringify({ ...r, outputs: r.outputs.map((o) => o.output_type) }).slice(0, 400));
  }
  await kernel.close();
}
