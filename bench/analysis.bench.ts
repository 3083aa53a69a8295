/**
 * Static analysis time for a 50-line, a 500-line and a 5,000-line file of typical
 * generated code (imports, helpers, numpy, control-system reads and writes
 * through several modelled libraries, plots, the results dict), with every
 * library table loaded. An analysis includes Python's own syntax check, which
 * the warm helper process runs while the tree is inspected. Baselines,
 * measured in the same run: the bare tree-sitter parse of the same text (the
 * ratio shows what selection, name resolution and inspection add), and the
 * syntax check through Python alone. Samples alternate, one of each in turn,
 * so all see the same load on a shared machine. Goal: median at most 10 ms
 * for 500 lines. Last, `pyexec analyze` on a folder of 200 files: one process
 * for all of them (wall time of the whole command, start included).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzerSettings, createAnalyzer } from '../adapters/analysis/index.ts';
import { pythonParser } from '../adapters/analysis/parser.ts';
import { pythonSyntaxChecker, type SyntaxChecker } from '../adapters/analysis/python-syntax.ts';
import { TreeAnalyzer } from '../adapters/analysis/tree-analyzer.ts';
import { parseConfig } from '../config/index.ts';
import { summarize, type LatencySummary } from './stats.ts';

/** One ~25-line block of generated code; `n` keeps names distinct. */
function block(n: number): string {
  return `
def summarize_${n}(values, scale=1.0):
    """Mean and spread of a sequence of readings."""
    arr = np.asarray(values, dtype=float) * scale
    if arr.size == 0:
        return {"mean": None, "std": None}
    return {"mean": float(arr.mean()), "std": float(arr.std())}

pv_${n} = PV("SR:C${n % 30}:BPM:X")
readings_${n} = [caget(f"SR:C${n % 30}:BPM:{i}:X") for i in range(8)]
stats_${n} = summarize_${n}(readings_${n}, scale=1e-3)
frame_${n} = pd.DataFrame({"x": readings_${n}, "t": range(len(readings_${n}))})
lookup_${n} = {"gain": 2.0, "offset": 0.1}
gain_${n} = lookup_${n}.get("gain", 1.0)
if stats_${n}["mean"] is not None and abs(stats_${n}["mean"]) > 0.5:
    pv_${n}.put(stats_${n}["mean"] * gain_${n})
    write_channels({"SR:C${n % 30}:HCM:SP": 0.1, "SR:C${n % 30}:VCM:SP": -0.1})
current_${n} = device.read_attribute("current").value
fig_${n}, ax_${n} = plt.subplots()
ax_${n}.plot(frame_${n}["t"], frame_${n}["x"], label="x")
ax_${n}.set_title("orbit ${n}")
with open("figures/orbit_${n}.csv", "w") as handle:
    frame_${n}.to_csv(handle)
results["orbit_${n}"] = stats_${n}
for key, value in sorted(stats_${n}.items()):
    print(key, value)
`;
}

export function generatedCode(lines: number): string {
  let code =
    'import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\nimport tango\nfrom epics import PV, caget\nfrom osprey.runtime import write_channels\n\ndevice = tango.DeviceProxy("sr/dcct/1")\nresults = {}\n';
  for (let n = 0; code.split('\n').length < lines; n++) code += block(n);
  return code.split('\n').slice(0, lines).join('\n');
}

/** A verdict without Python: the analysis minus what waiting for the helper adds. */
const answeredAtOnce: SyntaxChecker = { check: () => Promise.resolve({ kind: 'valid' }) };

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/** `figure` against the bare parse, percentile by percentile. */
function ratios(figure: LatencySummary, parse: LatencySummary): object {
  return { p50: ratio(figure.p50_ms, parse.p50_ms), p90: ratio(figure.p90_ms, parse.p90_ms), p99: ratio(figure.p99_ms, parse.p99_ms), min: ratio(figure.min_ms, parse.min_ms) };
}

/** `count` timed runs of each function, alternating, after a few untimed ones; milliseconds per call. */
async function alternate(count: number, fns: ReadonlyArray<() => Promise<unknown>>, warmup = 3): Promise<number[][]> {
  const samples = fns.map((): number[] => []);
  for (let i = 0; i < warmup + count; i++) {
    for (const [index, fn] of fns.entries()) {
      const start = performance.now();
      await fn();
      if (i >= warmup) samples[index]?.push(performance.now() - start);
    }
  }
  return samples;
}

/** Wall time of `pyexec analyze FOLDER --json` over 200 generated files, `runs` times. */
function folderOf200(runs: number): object {
  const folder = mkdtempSync(join(tmpdir(), 'pyexec-bench-analyze-'));
  try {
    for (let i = 0; i < 200; i++) {
      const sub = join(folder, `group${i % 10}`);
      mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `task_${i}.py`), generatedCode(50 + (i % 5) * 50));
    }
    const cli = join(import.meta.dirname, '..', 'bin', 'pyexec.js');
    const config = join(folder, 'writes.yaml');
    writeFileSync(config, 'control_system:\n  writes_enabled: true\n');
    const samples: number[] = [];
    let files = 0;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      // exit status 1 is expected: files cut mid-block are sent back for their syntax
      const run = spawnSync(process.execPath, [cli, 'analyze', folder, '--json', '--config', config], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      samples.push(performance.now() - start);
      if (run.status !== 0 && run.status !== 1) throw new Error(`pyexec analyze failed (${run.status}): ${run.stderr}`);
      files = run.stdout.trim().split('\n').length;
    }
    return { files, wall: summarize(samples), goal: { well_under_ms: 60_000, met: Math.max(...samples) < 60_000 } };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

export async function run(): Promise<object> {
  const config = parseConfig({ control_system: { writes_enabled: true } });
  const analyzer = await createAnalyzer(config);
  const settings = analyzerSettings(config);
  const withoutPython = new TreeAnalyzer(settings, answeredAtOnce);
  const python = pythonSyntaxChecker(settings.pythonEnvPath);
  const parser = await pythonParser();
  const report: Record<string, unknown> = { load_average_before: loadavg().map((l) => Math.round(l * 100) / 100) };
  for (const [lines, count] of [
    [50, 300],
    [500, 300],
    [5_000, 40],
  ] as const) {
    const code = generatedCode(lines);
    const result = await analyzer.analyze(code);
    const [parseSamples = [], analysisSamples = [], treeSamples = [], pythonSamples = []] = await alternate(count, [
      async () => parser.parse(code)?.delete(),
      () => analyzer.analyze(code),
      () => withoutPython.analyze(code),
      () => python.check(code),
    ]);
    const parse = summarize(parseSamples);
    const analysis = summarize(analysisSamples);
    const tree = summarize(treeSamples);
    report[`${lines}_lines`] = {
      bytes: Buffer.byteLength(code),
      syntax_valid: result.syntax_valid,
      writes_found: result.control_system.writes.length,
      reads_found: result.control_system.reads.length,
      libraries_found: [...new Set([...result.control_system.reads, ...result.control_system.writes].map((a) => a.library))],
      analysis,
      analysis_with_the_verdict_at_once: tree,
      syntax_check_through_python_alone: summarize(pythonSamples),
      baseline_parse_only: parse,
      ratio_median_vs_parse: ratio(analysis.p50_ms, parse.p50_ms),
      ratios_vs_parse: { analysis: ratios(analysis, parse), analysis_with_the_verdict_at_once: ratios(tree, parse) },
    };
  }
  const median500 = (report['500_lines'] as { analysis: { p50_ms: number } }).analysis.p50_ms;
  report.goal = { median_500_lines_at_most_ms: 10, met: median500 <= 10 };
  report.load_average_after = loadavg().map((l) => Math.round(l * 100) / 100);
  report.cli_folder_of_200_files = folderOf200(3);
  return report;
}
