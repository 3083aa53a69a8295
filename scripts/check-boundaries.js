#!/usr/bin/env node
// Dependencies flow one way (docs/architecture.md): protocol at the bottom;
// machines know only the protocol; the bus knows the protocol and the logger,
// no actors or adapters; adapters know no actors; the apps (bin, review, mcp,
// pipelines) sit on top. Every top-level folder of the source has a rule naming the project
// folders it may not import and the packages it may import; a folder without
// a rule is itself a failure, so a new folder is placed in the design when it
// is made. Imports are read by TypeScript's own pre-processor (static,
// re-exports, side-effect and dynamic `import()`).
//
//   node scripts/check-boundaries.js [--root DIR]
//
// Exits 1 listing every offending import.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const rootArgument = process.argv.indexOf('--root');
const root = resolve(rootArgument === -1 ? join(import.meta.dirname, '..') : process.argv[rootArgument + 1]);

/** Folders that are not the product's source: tests, benchmarks, tooling, build output. */
const outside = new Set(['test', 'bench', 'scripts', 'node_modules', 'dist', 'docs']);

const nodeBuiltins = ['node:'];
const rules = {
  // The wire at the bottom: schemas, names and the signed bytes; imports nothing of the project, only zod and hashing.
  protocol: { forbidden: ['*'], packages: ['zod', 'node:crypto', '@nats-io/nkeys'] },
  // Structured logs: a leaf every layer may use, so the bus needs no adapter to log.
  logging: { forbidden: ['*'], packages: ['pino'] },
  // Pure statechart and rules: xstate, hashing and the protocol's types (its one function: the pure signature check); no transport, no I/O.
  machines: { forbidden: ['*'], allowed: ['protocol/signing.ts'], typeOnly: ['protocol'], packages: ['xstate', 'node:crypto'] },
  // Transports only: what they carry is the protocol's.
  bus: { forbidden: ['*'], allowed: ['protocol', 'logging'], packages: [...nodeBuiltins, 'zod', 'rxjs', '@nats-io/'] },
  config: { forbidden: ['*'], allowed: ['config', 'protocol'], packages: [...nodeBuiltins, 'zod', 'yaml'] },
  adapters: {
    forbidden: ['actors', 'bin', 'review', 'mcp', 'pipelines', 'observability'],
    packages: [...nodeBuiltins, 'zod', 'pino', 'web-tree-sitter', 'openai', '@anthropic-ai/sdk', '@jupyterlab/services', '@nats-io/nkeys'],
  },
  // The supervisor and the actors know adapters only by their interfaces (file work through the recorder's);
  // actors/service.ts, their composition root, builds the adapters from config and plugs them in.
  actors: {
    forbidden: ['adapters', 'bin', 'review', 'mcp', 'pipelines', 'observability'],
    allowed: ['adapters/recorder/recorder.ts', 'adapters/kernels/kernel.ts', 'adapters/generators/generator.ts', 'adapters/analysis/analyzer.ts'],
    compositionRoots: { 'actors/service.ts': ['adapters'] },
    packages: [...nodeBuiltins, 'zod', 'xstate', 'rxjs'],
  },
  // Decorators around the transport and adapters' interfaces: the actors never know they are observed.
  observability: {
    forbidden: ['actors', 'bin', 'machines', 'review', 'mcp', 'pipelines'],
    // zod: the events it observes are parsed like any message received.
    packages: [...nodeBuiltins, 'zod', 'prom-client', '@opentelemetry/'],
  },
  // Edges like the CLI: they speak the public protocol through the client, never the service's insides.
  mcp: { forbidden: ['*'], allowed: ['client', 'protocol', 'logging'], packages: [...nodeBuiltins, 'zod', '@modelcontextprotocol/sdk'] },
  pipelines: { forbidden: ['*'], allowed: ['client', 'protocol'], packages: [...nodeBuiltins, 'zod'] },
  // The caller's side of the protocol: the wire, a transport, and the pure view of a record written before views
  // (machines/execution-view.ts); never the service, so an app that uses it does not load the server.
  client: {
    forbidden: ['*'],
    allowed: ['protocol', 'bus', 'machines/execution-view.ts'],
    typeOnly: ['machines/execution-types.ts'],
    packages: [...nodeBuiltins, 'zod', 'rxjs'],
  },
  // The review page is an app on top of the service (like bin): the service never depends on it.
  review: { forbidden: ['actors', 'machines', 'bin', 'mcp', 'pipelines', 'observability'], packages: [...nodeBuiltins, 'zod', 'fastify', '@fastify/'] },
  // The composition root: plugs adapters in by config; may use every folder.
  bin: { forbidden: [], packages: [...nodeBuiltins, 'zod', 'commander', 'yaml', '@modelcontextprotocol/sdk'] },
  // The library's public surface (index.ts at the root): the service, its client and pipelines.
  '.': { forbidden: ['bin', 'review', 'mcp', 'observability'], packages: [] },
};

function* sourceFiles(folder) {
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) yield path;
  }
}

/** The top-level source folders (and '.' for the root's own files). */
function sourceFolders() {
  const folders = readdirSync(root).filter((name) => !name.startsWith('.') && !outside.has(name) && statSync(join(root, name)).isDirectory());
  return ['.', ...folders.filter((folder) => !sourceFiles(join(root, folder)).next().done)];
}

/** Specifiers imported by `import type` / `export type` only. */
function typeOnlySpecifiers(text) {
  const all = new Set();
  const valued = new Set();
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;'"]*?from\s+'([^']+)'/gm)) (match[2] ? all : valued).add(match[3]);
  return new Set([...all].filter((specifier) => !valued.has(specifier)));
}

function packageAllowed(specifier, packages) {
  if (builtinModules.includes(specifier)) return false; // a bare builtin name: spell it node:…
  return packages.some((allowed) => (allowed.endsWith('/') || allowed.endsWith(':') ? specifier.startsWith(allowed) : specifier === allowed || specifier.startsWith(`${allowed}/`)));
}

function projectProblem(rule, folder, file, target, typeOnly) {
  const top = target.split('/')[0];
  if (top === folder || rule.allowed?.some((allowed) => target === allowed || top === allowed)) return null;
  if (rule.compositionRoots?.[file]?.includes(top)) return null;
  if (typeOnly && rule.typeOnly?.some((allowed) => target === allowed || top === allowed)) return null;
  const forbidden = rule.forbidden.includes('*') ? top !== folder : rule.forbidden.includes(top);
  return forbidden ? `imports ${target}` : null;
}

function problemsOf(folder, rule, file) {
  const text = readFileSync(file, 'utf8');
  const typeOnly = typeOnlySpecifiers(text);
  const problems = [];
  for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
    if (specifier.startsWith('.')) {
      const target = relative(root, resolve(file, '..', specifier)).split(sep).join('/');
      const problem = projectProblem(rule, folder, relative(root, file).split(sep).join('/'), target, typeOnly.has(specifier));
      if (problem) problems.push(problem);
    } else if (!packageAllowed(specifier, rule.packages)) {
      problems.push(`imports the package ${specifier}, which ${folder}/ may not use`);
    }
  }
  return problems.map((problem) => `${relative(root, file)} ${problem}`);
}

const problems = [];
for (const folder of sourceFolders()) {
  const rule = rules[folder];
  if (!rule) {
    problems.push(`${folder}/ has no rule in scripts/check-boundaries.js: say what it may import`);
    continue;
  }
  const files = folder === '.' ? [join(root, 'index.ts')] : sourceFiles(join(root, folder), true);
  for (const file of files) problems.push(...problemsOf(folder, rule, file));
}
if (problems.length) {
  console.error(`dependency direction broken:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('dependency direction: ok');
