#!/usr/bin/env node
// Dependencies flow one way (README "Layout"): machines know nothing of the
// bus, actors or adapters (they may use the protocol's types only); bus knows
// no actors or adapters but the logger; adapters know no actors. Fails with
// the offending imports.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const rules = {
  machines: { forbidden: ['actors', 'adapters', 'bin', 'bus', 'review'], typeOnly: ['bus/messages.ts'] },
  bus: { forbidden: ['actors', 'machines', 'bin', 'adapters', 'review'], allowed: ['adapters/logger.ts'] },
  adapters: { forbidden: ['actors', 'bin', 'review', 'observability'] },
  config: { forbidden: ['actors', 'adapters', 'bin', 'bus', 'machines', 'review'] },
  // The review page is an app on top of the service (like bin): the service never depends on it.
  actors: { forbidden: ['bin', 'review', 'observability'] },
  // Edges like the CLI: they speak the public protocol through the client, never the service's insides.
  mcp: { forbidden: ['actors', 'adapters', 'bin', 'machines', 'review'], allowed: ['actors/client.ts', 'actors/errors.ts', 'adapters/logger.ts'] },
  // Decorators around the transport and adapters' interfaces: the actors never know they are observed.
  observability: { forbidden: ['actors', 'bin', 'machines', 'review', 'mcp', 'pipelines'] },
  pipelines: { forbidden: ['actors', 'adapters', 'bin', 'machines', 'review', 'mcp'], allowed: ['actors/client.ts', 'actors/errors.ts'] },
};

function* files(folder) {
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

const problems = [];
const importPattern = /^\s*import\s+(type\s+)?[^'"]*?from\s+'(\.[^']+)'/gm;
for (const [folder, rule] of Object.entries(rules)) {
  for (const file of files(join(root, folder))) {
    for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
      const target = relative(root, resolve(file, '..', match[2])).split(sep).join('/');
      const top = target.split('/')[0];
      if (!rule.forbidden.includes(top)) continue;
      if (rule.allowed?.includes(target)) continue;
      if (match[1] && rule.typeOnly?.includes(target)) continue;
      problems.push(`${relative(root, file)} imports ${target}`);
    }
  }
}
if (problems.length) {
  console.error(`dependency direction broken:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('dependency direction: ok');
