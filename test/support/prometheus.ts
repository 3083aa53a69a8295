/**
 * A real Prometheus server (Debian's `prometheus` package) for tests: it
 * scrapes the given targets every second, keeps its data in a temporary
 * folder, and answers PromQL queries over its HTTP API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from './temp.ts';

const binary = '/usr/bin/prometheus';
const promtool = '/usr/bin/promtool';
const install = 'apt-get install prometheus (or bash scripts/setup.sh --test)';

export class Prometheus {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly remove: () => void,
    private readonly log: () => string,
  ) {}

  /** Starts Prometheus scraping `targets` (host:port) every second; resolves when it answers. */
  static async start(targets: readonly string[]): Promise<Prometheus> {
    if (!existsSync(binary)) throw new Error(`${binary} is needed: ${install}`);
    const dir = tempDir('pyexec-prometheus-');
    const configFile = join(dir.path, 'prometheus.yml');
    writeFileSync(
      configFile,
      ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: pyexec', '    static_configs:', `      - targets: [${targets.map((t) => `"${t}"`).join(', ')}]`, ''].join('\n'),
    );
    const port = await freePort();
    const child = spawn(binary, [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir.path, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    const prometheus = new Prometheus(`http://127.0.0.1:${port}`, child, dir.remove, () => output);
    await prometheus.untilReady();
    return prometheus;
  }

  /** The value of an instant PromQL query returning one series, or null when it returns none. */
  async value(query: string): Promise<number | null> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await response.json()) as { status: string; data?: { result: Array<{ value: [number, string] }> }; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus refused ${query}: ${body.error ?? response.status}`);
    const first = body.data?.result[0];
    return first ? Number(first.value[1]) : null;
  }

  /** Health of each scrape target as Prometheus sees it (`up`, `down`, `unknown`). */
  async targetHealth(): Promise<string[]> {
    const response = await fetch(`${this.url}/api/v1/targets`);
    const body = (await response.json()) as { data: { activeTargets: Array<{ health: string }> } };
    return body.data.activeTargets.map((target) => target.health);
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    this.remove();
  }

  private async untilReady(): Promise<void> {
    const started = Date.now();
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited (${this.child.exitCode}):\n${this.log()}`);
      const ready = await fetch(`${this.url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) return;
      if (Date.now() - started > 30_000) throw new Error(`prometheus did not become ready within 30 s:\n${this.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** `promtool check metrics` on an exposition text: its problems, or an empty list. */
export function promtoolProblems(exposition: string): string[] {
  if (!existsSync(promtool)) throw new Error(`${promtool} is needed: ${install}`);
  const run = spawnSync(promtool, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  const problems = `${run.stdout}${run.stderr}`.split('\n').filter(Boolean);
  return run.status === 0 ? [] : problems.length > 0 ? problems : [`promtool exited ${run.status}`];
}
