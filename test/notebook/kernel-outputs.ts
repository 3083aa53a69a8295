/**
 * Real outputs of a real ipykernel (Debian's, started with jupyter_client by
 * /usr/bin/python3), as the Jupyter kernel adapter receives them: each iopub
 * message's content with its `output_type` — `transient` and all.
 */
import { spawnSync } from 'node:child_process';

const script = String.raw`
import json, sys
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="python3")
outputs = []
try:
    msg_id = kc.execute(sys.stdin.read())
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append(dict(output_type=kind, **msg["content"]))
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            break
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
print(json.dumps(outputs))
`;

export function runInRealKernel(code: string): Record<string, unknown>[] {
  const run = spawnSync('/usr/bin/python3', ['-c', script], { input: code, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) {
    throw new Error(
      `running code in ipykernel failed (needs python3-ipykernel, python3-jupyter-client, python3-matplotlib: apt-get install them):\n${run.stderr}`,
    );
  }
  const lastLine = run.stdout.trim().split('\n').at(-1) ?? '[]';
  return JSON.parse(lastLine) as Record<string, unknown>[];
}
