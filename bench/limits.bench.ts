/**
 * Loading a channel limits file of 10,000 channels (the peer's shape:
 * defaults, comments, per-channel min/max/step and verification, a few `*`
 * patterns), read from disk, validated and compiled, as the service does at
 * start and on every change. Baseline, measured in the same run and
 * alternating with it: reading the file and JSON.parse alone. Also the cost
 * of one lookup by exact name and by pattern. Goal: a load under 100 ms.
 * On a machine shared with other work the wall clock includes waiting for a
 * core, so the CPU time of each load (this process's user + system) is
 * reported next to it.
 */
import { writeFileSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLimitsFile } from '../adapters/limits/load.ts';
import { summarize } from './stats.ts';

const channelCount = 10_000;
const samples = 30;

function limitsFile(): Record<string, unknown> {
  const file: Record<string, unknown> = {
    _comment: 'benchmark limits database',
    _version: '1.0',
    defaults: { writable: true, verification: { level: 'callback' } },
  };
  for (let i = 0; i < channelCount; i++) {
    const sector = String(i % 40).padStart(2, '0');
    file[`SR${sector}:MAG:C${i}:CURRENT:SP`] = {
      _comment: `corrector ${i}`,
      min_value: -5 - (i % 3),
      max_value: 5 + (i % 3),
      max_step: 0.2,
      ...(i % 4 === 0 ? { verification: { level: 'readback', tolerance_percent: 0.2 } } : {}),
      ...(i % 97 === 0 ? { writable: false } : {}),
    };
  }
  for (let s = 0; s < 40; s++) file[`BR${String(s).padStart(2, '0')}:*:CURRENT:SP`] = { min_value: 0, max_value: 100 };
  return file;
}

export async function run(): Promise<object> {
  const dir = mkdtempSync(join(tmpdir(), 'pyexec-limits-bench-'));
  try {
    const path = join(dir, 'channel_limits.json');
    const text = JSON.stringify(limitsFile(), null, 2);
    writeFileSync(path, text);
    // The service loads the file once at start, in a process that has not loaded one before.
    let started = performance.now();
    loadLimitsFile(path, 'deny_unlisted');
    const firstLoadMs = performance.now() - started;
    for (let i = 0; i < 3; i++) loadLimitsFile(path, 'deny_unlisted');
    const loads: number[] = [];
    const loadCpu: number[] = [];
    const parses: number[] = [];
    for (let i = 0; i < samples; i++) {
      started = performance.now();
      JSON.parse(readFileSync(path, 'utf8'));
      parses.push(performance.now() - started);
      started = performance.now();
      const cpu = process.cpuUsage();
      loadLimitsFile(path, 'deny_unlisted');
      loads.push(performance.now() - started);
      const used = process.cpuUsage(cpu);
      loadCpu.push((used.user + used.system) / 1000);
    }
    const database = loadLimitsFile(path, 'deny_unlisted');
    const lookups = 100_000;
    started = performance.now();
    for (let i = 0; i < lookups; i++) database.lookup(`SR${String(i % 40).padStart(2, '0')}:MAG:C${i % channelCount}:CURRENT:SP`);
    const exactUs = ((performance.now() - started) / lookups) * 1000;
    started = performance.now();
    for (let i = 0; i < lookups; i++) database.lookup(`BR${String(i % 40).padStart(2, '0')}:Q${i}:CURRENT:SP`);
    const patternUs = ((performance.now() - started) / lookups) * 1000;
    const load = summarize(loads);
    return {
      channels: channelCount,
      patterns: 40,
      file_bytes: Buffer.byteLength(text),
      first_load_ms: Math.round(firstLoadMs * 1000) / 1000,
      load,
      load_cpu: summarize(loadCpu),
      baseline_read_and_json_parse: summarize(parses),
      lookup_exact_us: Math.round(exactUs * 1000) / 1000,
      lookup_pattern_us: Math.round(patternUs * 1000) / 1000,
      goal_load_p50_under_100_ms: load.p50_ms < 100,
      goal_load_cpu_p50_under_100_ms: summarize(loadCpu).p50_ms < 100,
      goal_first_load_under_100_ms: firstLoadMs < 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
