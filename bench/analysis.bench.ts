/**
 * Static analysis time for a 500-line and a 5,000-line file of typical
 * generated code (imports, helpers, numpy, control-system reads and writes,
 * plots, the results dict). Baseline, measured in the same run: the bare
 * tree-sitter parse of the same text, so the ratio shows what selection, name
 * resolution and inspection add. Parse and analysis alternate, one sample
 * each in turn, so both see the same load on a shared machine. Goal: median
 * under 10 ms for 500 lines.
 */
import { createAnalyzer } from '../adapters/analysis/index.ts';
import { pythonParser } from '../adapters/analysis/parser.ts';
import { parseConfig } from '../config/index.ts';
import { summarize } from './stats.ts';

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
  let code = 'import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\nfrom epics import PV, caget\n\nresults = {}\n';
  for (let n = 0; code.split('\n').length < lines; n++) code += block(n);
  return code.split('\n').slice(0, lines).join('\n');
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

export async function run(): Promise<object> {
  const analyzer = await createAnalyzer(parseConfig({ control_system: { writes_enabled: true } }));
  const parser = await pythonParser();
  const report: Record<string, unknown> = {};
  for (const [lines, count] of [
    [500, 300],
    [5_000, 40],
  ] as const) {
    const code = generatedCode(lines);
    const result = await analyzer.analyze(code);
    const [parseSamples = [], analysisSamples = []] = await alternate(count, [async () => parser.parse(code)?.delete(), () => analyzer.analyze(code)]);
    const parse = summarize(parseSamples);
    const analysis = summarize(analysisSamples);
    report[`${lines}_lines`] = {
      bytes: Buffer.byteLength(code),
      writes_found: result.control_system.writes.length,
      reads_found: result.control_system.reads.length,
      analysis,
      baseline_parse_only: parse,
      ratio_median_vs_parse: Math.round((analysis.p50_ms / parse.p50_ms) * 100) / 100,
    };
  }
  const median500 = (report['500_lines'] as { analysis: { p50_ms: number } }).analysis.p50_ms;
  report.goal = { median_500_lines_under_ms: 10, met: median500 < 10 };
  return report;
}
