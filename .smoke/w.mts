import { mkdtempSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '/work/main/config/schema.ts';
import { createLocalKernel, localKernelOptions } from '/work/main/adapters/kernels/local/index.ts';
const config = configSchema.parse({});
const kernel = createLocalKernel(localKernelOptions(config, { warm: true, pythonEnvPath: process.argv[2] ?? null }));
const folder = mkdtempSync(join(tmpdir(), 'smoke-'));
const code = 'results = {"x": 1}';
const ts: number[] = [];
for (let i = 0; i < 30; i++) {
  const t = performance.now();
  const r = await kernel.execute({ command_id: 'c', execution_id: 'abcdefgh', attempt: 1, code, code_sha256: createHash('sha256').update(code).digest('hex'), mode: 'read_only', allows_writes: false, folder, timeout_seconds: 5 });
  ts.push(performance.now() - t);
  if (r.status !== 'succeeded') console.log(r);
}
console.log(ts.map((x) => x.toFixed(1)).join(' '));
await kernel.close();
