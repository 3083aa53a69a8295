#!/usr/bin/env node
// `npm run build` (and npm's `prepare`, so `npm ci` and an install from git
// build too): a fresh dist/ with the compiled JavaScript (tsc with
// tsconfig.build.json) and every other file of the compiled folders (the
// kernels' Python, the file worker, the review page's static files, ...) at
// the same place, so `new URL('./asset', import.meta.url)` finds it next to
// the compiled module. Whatever file a folder gains later is copied without a
// list to keep.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const readJson = (name) => JSON.parse(readFileSync(join(root, name), 'utf8'));
// The folders tsc compiles: tsconfig.json's, less what tsconfig.build.json leaves out.
const build = readJson('tsconfig.build.json');
const include = readJson('tsconfig.json').include.filter((entry) => !build.exclude.includes(entry));
const outDir = join(root, build.compilerOptions.outDir);
const compiled = /\.(ts|mts|cts)$/;
// Python's byte-code caches are made on the fly wherever the kernels run.
const skipped = new Set(['__pycache__', 'node_modules']);
// The checkout's launcher of the TypeScript sources (tests, development): the build has dist/bin/cli.js.
const sourceOnly = new Set([join(root, 'bin', 'pyexec.js')]);

function* assets(path) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) if (!skipped.has(name)) yield* assets(join(path, name));
  } else if (!compiled.test(path) && !sourceOnly.has(path)) {
    yield path;
  }
}

// Files of removed or moved sources must not linger in the package.
rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
let typeErrors = false;
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
} catch {
  // tsc still emits; the assets are copied so that dist/ is whole, and the build fails below.
  typeErrors = true;
}

let copied = 0;
for (const entry of include) {
  for (const file of assets(join(root, entry))) {
    const target = join(outDir, relative(root, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
    copied += 1;
  }
}
process.stderr.write(`build: compiled to ${relative(root, outDir)}/, ${copied} other files copied\n`);
if (typeErrors) {
  process.stderr.write('build: failed: tsc reported the errors above\n');
  process.exit(1);
}
