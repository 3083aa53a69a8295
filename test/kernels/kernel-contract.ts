/**
 * The executor contract: what every kernel (local cold, local warm, Jupyter)
 * must do with the same jobs. A kernel's test file calls
 * `runKernelContract(name, makeKernel)`; `makeKernel` gets the modes and
 * limits the suite needs and returns a kernel configured with them.
 *
 * Hostile cases (fork bomb, memory bomb, 1 GB of output, segfault) are bounded
 * by the limits given here; they must never take the machine down.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecuteJob, ExecuteResult } from '../../protocol/internal.ts';
import type { Kernel } from '../../adapters/kernels/kernel.ts';
import { installFakeEpics, writeLogName } from '../support/fake-epics.ts';
import { eventually, nameProcessCode, newMarker, processesMarked } from '../support/processes.ts';
import { tempDir } from '../support/temp.ts';
import { executeJob } from '../support/fixtures.ts';

export interface ContractMode {
  allows_writes: boolean;
  /** Must reach the code's environment (PYTHONPATH holds the fake `epics` package). */
  environment: Record<string, string>;
}

export interface ContractSettings {
  modes: { read_only: ContractMode; write_access: ContractMode };
  outputCapBytes: number;
  memoryMb: number;
}

export type MakeKernel = (settings: ContractSettings) => Kernel | Promise<Kernel>;

const secretName = 'PYEXEC_CONTRACT_SECRET_API_KEY';
const secretValue = 'sk-contract-secret-0123456789';
const outputCapBytes = 64 * 1024;
/** Room for the warm server's preloaded modules and a 1 GB string, not for more. */
const memoryMb = 2560;
/** Generous for CI on two busy cores; the point is that it ends, not how fast. */
const killBoundMs = 15_000;
/** The 1 GB output tests give their jobs 120 s; the test waits for the job's own bound, and a little more. */
const bigOutputTestMs = 150_000;


export function runKernelContract(name: string, makeKernel: MakeKernel): void {
  describe(`kernel contract: ${name}`, () => {
    const root = tempDir('pyexec-contract-');
    const epics = installFakeEpics(root.path);
    let kernel: Kernel;
    let jobs = 0;

    beforeAll(async () => {
      // Present in the service's environment, so it would leak if the kernel copied it.
      process.env[secretName] = secretValue;
      const environment = { PYTHONPATH: epics.pythonPath };
      kernel = await makeKernel({
        modes: { read_only: { allows_writes: false, environment }, write_access: { allows_writes: true, environment } },
        outputCapBytes,
        memoryMb,
      });
    });

    afterAll(async () => {
      await kernel?.close();
      delete process.env[secretName];
      root.remove();
    });

    function newJob(code: string, overrides: Partial<ExecuteJob> = {}, context?: unknown): ExecuteJob {
      jobs += 1;
      const folder = join(root.path, `execution-${jobs}`);
      mkdirSync(folder);
      if (context !== undefined) writeFileSync(join(folder, 'context.json'), JSON.stringify(context));
      return executeJob(code, folder, { command_id: `contract:${jobs}`, execution_id: `contract-${String(jobs).padStart(4, '0')}`, ...overrides });
    }

    async function run(code: string, overrides: Partial<ExecuteJob> = {}, context?: unknown) {
      const job = newJob(code, overrides, context);
      const result = await kernel.execute(job);
      return { job, result };
    }

    function expectSucceeded(result: ExecuteResult): void {
      expect(result.error, JSON.stringify(result.error)).toBeUndefined();
      expect(result.status).toBe('succeeded');
    }

    it('returns the results dict and writes results.json', async () => {
      const { job, result } = await run('results = {"x": 1, "name": "beam"}');
      expectSucceeded(result);
      expect(result.results).toEqual({ x: 1, name: 'beam' });
      expect(JSON.parse(readFileSync(join(job.folder, 'results.json'), 'utf8'))).toEqual({ x: 1, name: 'beam' });
      expect(result.command_id).toBe(job.command_id);
      expect(result.execution_id).toBe(job.execution_id);
    });

    it('writes results.json and the report with its own json, whatever the code did to the json module', async () => {
      const code = [
        'import json, json.encoder',
        'corrupt = \'"corrupted"\'',
        'json.dumps = lambda *args, **kwargs: corrupt',
        'json.JSONEncoder.encode = lambda self, o: corrupt',
        'json.JSONEncoder.iterencode = lambda self, o, _one_shot=False: iter([corrupt])',
        'json.encoder.c_make_encoder = None',
        'json.encoder.encode_basestring_ascii = lambda s: corrupt',
        'results = {"x": 1, "name": "beam", "patched": json.dumps({}) == corrupt}',
      ].join('\n');
      const { job, result } = await run(code);
      expectSucceeded(result);
      expect(result.results).toEqual({ x: 1, name: 'beam', patched: true });
      expect(JSON.parse(readFileSync(join(job.folder, 'results.json'), 'utf8'))).toEqual({ x: 1, name: 'beam', patched: true });
    });

    it('serialises numpy, pandas, datetime, set, complex, bytes and anything else as repr', async () => {
      const code = [
        'import datetime, numpy as np, pandas as pd',
        'class Thing:',
        '    def __repr__(self): return "<Thing 7>"',
        'results = {',
        '  "array": np.arange(6).reshape(2, 3), "f64": np.float64(2.5), "i32": np.int32(-4), "flag": np.bool_(True),',
        '  "frame": pd.DataFrame({"a": [1, 2], "b": [0.5, None]}), "series": pd.Series([1.5, 2.5], index=["x", "y"]),',
        '  "when": datetime.datetime(2024, 5, 1, 12, 30), "day": datetime.date(2024, 5, 1), "stamp": pd.Timestamp("2024-05-01T00:00:00"),',
        '  "tags": {"b", "a"}, "z": 1 + 2j, "raw": b"bytes", "nan": float("nan"), "thing": Thing(), "nested": {"t": (1, [2, {3}])},',
        '}',
      ].join('\n');
      const { result } = await run(code);
      expectSucceeded(result);
      expect(result.results).toEqual({
        array: [
          [0, 1, 2],
          [3, 4, 5],
        ],
        f64: 2.5,
        i32: -4,
        flag: true,
        frame: { columns: ['a', 'b'], index: [0, 1], data: [[1, 0.5], [2, 'nan']] },
        series: { x: 1.5, y: 2.5 },
        when: '2024-05-01T12:30:00',
        day: '2024-05-01',
        stamp: '2024-05-01T00:00:00',
        tags: ['a', 'b'],
        z: { real: 1, imag: 2 },
        raw: 'bytes',
        nan: 'nan',
        thing: '<Thing 7>',
        nested: { t: [1, [2, [3]]] },
      });
    });

    // A sandboxed kernel may show the folder at another path (a staging copy): what lands in it is what counts.
    it('loads context.json as `context`, with attribute access, and runs in the execution folder', async () => {
      const { job, result } = await run(
        'import os\nopen("marker", "w").write("here")\nresults = {"current": context.beam.current, "pvs": context["pvs"]}',
        {},
        { beam: { current: 402.5 }, pvs: ['SR:C01:CURRENT'] },
      );
      expectSucceeded(result);
      expect(result.results).toEqual({ current: 402.5, pvs: ['SR:C01:CURRENT'] });
      expect(readFileSync(join(job.folder, 'marker'), 'utf8')).toBe('here');
    });

    it('saves every open matplotlib figure and returns it as a display_data output', async () => {
      const code = [
        'import matplotlib.pyplot as plt',
        'plt.figure(); plt.plot([1, 2, 3])',
        'fig, ax = plt.subplots(); ax.bar(["a", "b"], [3, 4])',
        'results = {"figures": 2}',
      ].join('\n');
      const { job, result } = await run(code);
      expectSucceeded(result);
      expect(result.figures).toHaveLength(2);
      for (const path of result.figures) {
        expect(path.startsWith(join(job.folder, 'figures'))).toBe(true);
        expect(readFileSync(path).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      }
      const images = result.outputs.filter((output) => output.output_type === 'display_data');
      expect(images).toHaveLength(2);
      const png = (images[0]?.data as Record<string, string>)['image/png'] ?? '';
      expect(Buffer.from(png, 'base64').subarray(1, 4).toString('ascii')).toBe('PNG');
    });

    it('captures stdout and stderr as stream outputs', async () => {
      const { result } = await run('import sys\nprint("to out")\nprint("to err", file=sys.stderr)\nresults = {}');
      expectSucceeded(result);
      expect(result.stdout).toBe('to out\n');
      expect(result.stderr).toBe('to err\n');
      expect(result.output_truncated).toBe(false);
      const streams = result.outputs.filter((output) => output.output_type === 'stream');
      expect(streams).toContainEqual({ output_type: 'stream', name: 'stdout', text: 'to out\n' });
      expect(streams).toContainEqual({ output_type: 'stream', name: 'stderr', text: 'to err\n' });
    });

    it('caps stdout and stderr and says so', async () => {
      const code = `import sys\nfor i in range(${outputCapBytes}):\n    print(i)\n    print(i, file=sys.stderr)\nresults = {"done": True}`;
      const { result } = await run(code);
      expectSucceeded(result);
      expect(result.output_truncated).toBe(true);
      expect(Buffer.byteLength(result.stdout)).toBe(outputCapBytes);
      expect(Buffer.byteLength(result.stderr)).toBe(outputCapBytes);
      expect(result.stdout.startsWith('0\n1\n2\n')).toBe(true);
    });

    it('survives a 1 GB print, keeping only the cap', async () => {
      const rssBefore = process.memoryUsage().rss;
      const { result } = await run('print("x" * (1 << 30))\nresults = {"printed": True}', { timeout_seconds: 120 });
      expectSucceeded(result);
      expect(result.output_truncated).toBe(true);
      expect(result.stdout).toBe('x'.repeat(outputCapBytes));
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
    }, bigOutputTestMs);

    it('drains 1 GB written straight to file descriptor 1 without holding it', async () => {
      const rssBefore = process.memoryUsage().rss;
      const code = 'import os\nblock = b"y" * (1 << 26)\nfor _ in range(16):\n    os.write(1, block)\nresults = {"written": 16 << 26}';
      const { result } = await run(code, { timeout_seconds: 120 });
      expectSucceeded(result);
      expect(result.results).toEqual({ written: 1 << 30 });
      expect(result.output_truncated).toBe(true);
      expect(result.stdout).toBe('y'.repeat(outputCapBytes));
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
    }, bigOutputTestMs);

    it('reports a runtime error with its type, message, traceback and an error output', async () => {
      const { result } = await run('x = 1\ny = x / 0\nresults = {"y": y}');
      expect(result.status).toBe('runtime_error');
      expect(result.results).toBeNull();
      expect(result.error?.type).toBe('ZeroDivisionError');
      expect(result.error?.message).toBe('division by zero');
      expect(result.error?.traceback).toContain('line 2');
      const error = result.outputs.find((output) => output.output_type === 'error');
      expect(error).toMatchObject({ ename: 'ZeroDivisionError', evalue: 'division by zero' });
      expect(Array.isArray(error?.traceback)).toBe(true);
    });

    it('reports a syntax error as a runtime error', async () => {
      const { result } = await run('results = {"x": (1}');
      expect(result.status).toBe('runtime_error');
      expect(result.error?.type).toBe('SyntaxError');
    });

    it('treats missing or non-dict results as MissingResults', async () => {
      const missing = await run('x = 1');
      expect(missing.result.status).toBe('runtime_error');
      expect(missing.result.error?.type).toBe('MissingResults');
      expect(missing.result.error?.message).toContain('results');
      const wrongType = await run('results = [1, 2]');
      expect(wrongType.result.status).toBe('runtime_error');
      expect(wrongType.result.error?.type).toBe('MissingResults');
      expect(wrongType.result.error?.message).toContain('list');
    });

    describe('timeouts kill the whole process group', () => {
      const cases = {
        'an infinite loop': 'while True:\n    pass',
        'time.sleep(1e9)': 'import time\ntime.sleep(1e9)',
        'a C-level busy loop in numpy': 'import numpy as np\nm = np.random.rand(2000, 2000)\nnp.linalg.matrix_power(m, 100000)',
      };
      for (const [label, body] of Object.entries(cases)) {
        it(label, async () => {
          // Marked from outside's point of view: the leader by name, the descendant by an argument.
          const marker = newMarker();
          const prologue = [
            nameProcessCode(marker),
            'import os, subprocess',
            // What a timed-out execution left must not be taken for its results.
            'results = {"partial": True}',
            // A descendant that would outlive a kill of the leader alone.
            `subprocess.Popen(["sleep", "600", "${marker}"])`,
          ].join('\n');
          const started = Date.now();
          const { job, result } = await run(`${prologue}\n${body}`, { timeout_seconds: 1 });
          expect(result.status).toBe('timeout');
          expect(result.results).toBeNull();
          expect(result.error?.type).toBe('Timeout');
          expect(Date.now() - started).toBeLessThan(killBoundMs);
          expect(await eventually(() => processesMarked(marker).length === 0)).toBe(true);
          expect(existsSync(join(job.folder, 'results.json'))).toBe(false);
        });
      }
    });

    it('stops a memory bomb with MemoryError', async () => {
      const code = 'blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))';
      const { result } = await run(code, { timeout_seconds: 60 });
      expect(result.status).toBe('runtime_error');
      expect(result.error?.type).toBe('MemoryError');
    });

    it('bounds a fork bomb and leaves no process behind', async () => {
      const marker = newMarker();
      const code = `${nameProcessCode(marker)}\nimport os\nwhile True:\n    os.fork()`;
      const started = Date.now();
      const { result } = await run(code, { timeout_seconds: 10 });
      expect(['runtime_error', 'timeout']).toContain(result.status);
      expect(result.results).toBeNull();
      expect(Date.now() - started).toBeLessThan(10_000 + killBoundMs);
      expect(await eventually(() => processesMarked(marker).length === 0)).toBe(true);
    });

    it('reports os._exit as a runtime error and keeps what was printed', async () => {
      const { result } = await run('import os\nprint("before exit", flush=True)\nos._exit(3)');
      expect(result.status).toBe('runtime_error');
      expect(result.error?.type).toBe('ProcessExited');
      expect(result.error?.message).toContain('3');
      expect(result.stdout).toBe('before exit\n');
    });

    it('reports a segfault as a runtime error', async () => {
      const { result } = await run('import ctypes\nctypes.string_at(0)');
      expect(result.status).toBe('runtime_error');
      expect(result.error?.type).toBe('ProcessCrashed');
      expect(result.error?.message).toContain('segmentation fault');
    });

    it('does not pass the service environment to the code', async () => {
      const { result } = await run(
        'import os\nresults = {"env": dict(os.environ), "direct": os.environ.get("' + secretName + '"), "cwd": os.getcwd()}',
      );
      expectSucceeded(result);
      const env = (result.results?.env ?? {}) as Record<string, string>;
      expect(result.results?.direct).toBeNull();
      expect(Object.keys(env)).not.toContain(secretName);
      expect(JSON.stringify(result.results)).not.toContain(secretValue);
      // HOME is the execution folder as the code sees it.
      expect(env.HOME).toBe(result.results?.cwd);
    });

    describe('read-only write guard (fake epics installed)', () => {
      const writes = {
        'epics.caput': 'import epics\nepics.caput("SR:MAG:SET", 1.0)',
        'an aliased caput': 'from epics import caput as w\nw("SR:MAG:SET", 1.0)',
        'epics.PV.put': 'from epics import PV\nPV("SR:MAG:SET").put(1.0)',
        'epics.ca.put': 'import epics.ca\nepics.ca.put("SR:MAG:SET", 1.0)',
      };
      for (const [label, code] of Object.entries(writes)) {
        it(`refuses ${label} in read-only mode`, async () => {
          const { job, result } = await run(`${code}\nresults = {"wrote": True}`);
          expect(result.status).toBe('runtime_error');
          expect(result.error?.message).toContain('refused');
          expect(existsSync(join(job.folder, writeLogName))).toBe(false);
        });
      }

      it('still allows reads in read-only mode', async () => {
        const { result } = await run('import epics\nresults = {"value": epics.caget("SR:C01:CURRENT"), "pv": epics.PV("X").get()}');
        expectSucceeded(result);
        expect(result.results).toEqual({ value: 42, pv: 42 });
      });

      it('lets a write-access job write', async () => {
        const { job, result } = await run('import epics\nepics.caput("SR:MAG:SET", 2.0)\nresults = {"wrote": True}', {
          mode: 'write_access',
          allows_writes: true,
        });
        expectSucceeded(result);
        expect(readFileSync(join(job.folder, writeLogName), 'utf8')).toBe('caput SR:MAG:SET 2.0\n');
      });
    });

    it('isolates executions: nothing one leaves is visible to the next', async () => {
      const polluter = [
        'import builtins, json, os, sys, types',
        'builtins.LEAKED = 1',
        'json.dumps = lambda *a, **k: "patched"',
        'sys.modules["leaked_module"] = types.ModuleType("leaked_module")',
        'os.environ["LEAKED_VAR"] = "1"',
        'leaked_global = 1',
        'results = {"polluted": True}',
      ].join('\n');
      expectSucceeded((await run(polluter)).result);
      const probe = [
        'import builtins, json, os, sys',
        'results = {',
        '  "builtin": hasattr(builtins, "LEAKED"), "patched": json.dumps({}) == "patched",',
        '  "module": "leaked_module" in sys.modules, "env": "LEAKED_VAR" in os.environ, "global": "leaked_global" in globals(),',
        '}',
      ].join('\n');
      const { result } = await run(probe);
      expectSucceeded(result);
      expect(result.results).toEqual({ builtin: false, patched: false, module: false, env: false, global: false });
    });

    it('runs executions concurrently without mixing their outputs', async () => {
      const outcomes = await Promise.all(
        [1, 2, 3].map((n) => run(`import time\nprint("run ${n}")\ntime.sleep(0.2)\nresults = {"n": ${n}}`)),
      );
      for (const [index, { result }] of outcomes.entries()) {
        expectSucceeded(result);
        expect(result.results).toEqual({ n: index + 1 });
        expect(result.stdout).toBe(`run ${index + 1}\n`);
      }
    });
  });
}
