/**
 * `npm run bench`: runs every bench/*.bench.ts module (or those named on the
 * command line), prints one JSON document to stdout and writes it to
 * bench/results/<timestamp>.json. Each module exports `run(): Promise<object>`
 * and reports medians and percentiles with the baseline it measured in the
 * same run.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => wanted.length === 0 || wanted.some((name) => file.startsWith(name)))
  .sort();

const report: Record<string, unknown> = { started_at: new Date().toISOString(), node: process.version };
for (const file of modules) {
  const name = file.replace(/\.bench\.ts$/, '');
  process.stderr.write(`bench ${name}...\n`);
  const module = (await import(pathToFileURL(join(here, file)).href)) as { run: () => Promise<unknown> };
  report[name] = await module.run();
}
const outDir = join(here, 'results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(outFile, JSON.stringify(report, null, 2));
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`written to ${outFile}\n`);
