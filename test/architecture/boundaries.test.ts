/**
 * The dependency direction of docs/architecture.md, checked by
 * scripts/check-boundaries.js: the repository keeps it, and the check does
 * catch each kind of breach (a forbidden folder, a forbidden package, a
 * dynamic import, a value import where only types may come, a folder the
 * design does not know), from the protocol at the bottom up.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.ts';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'check-boundaries.js');
const check = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

describe('the boundary check', () => {
  const tree = tempDir('pyexec-boundaries-');
  afterAll(() => tree.remove());
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(tree.path, path)), { recursive: true });
    writeFileSync(join(tree.path, path), text);
  };

  it('passes on the repository', () => {
    const run = check();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('names every breach in a tree that breaks the design', () => {
    write('index.ts', "export { a } from './actors/a.ts';\n");
    write('actors/a.ts', 'export const a = 1;\n');
    write('actors/supervisor.ts', "import type { ExecutionRecorder } from '../adapters/recorder/recorder.ts';\nimport { x } from '../adapters/x.ts';\nexport const s = x;\nexport type R = ExecutionRecorder;\n");
    write('actors/service.ts', "import { x } from '../adapters/x.ts';\nexport const service = x;\n");
    write('adapters/recorder/recorder.ts', 'export interface ExecutionRecorder { audit: unknown }\n');
    write('protocol/public.ts', 'export type M = string;\nexport const m = 1;\n');
    write('protocol/signing.ts', 'export const verify = () => true;\n');
    write('protocol/bad.ts', "import { pino } from 'pino';\nimport { t } from '../bus/t.ts';\nexport const all = [pino, t];\n");
    write('bus/t.ts', "import { x } from '../adapters/x.ts';\nexport const t = x;\n");
    write('machines/types-only.ts', "import type { M } from '../protocol/public.ts';\nimport { verify } from '../protocol/signing.ts';\nexport type T = M;\nexport const q = verify;\n");
    write('machines/bad.ts', [
      "import { Kvm } from '@nats-io/kv';",
      "import { a } from '../actors/a.ts';",
      "import { m } from '../protocol/public.ts';",
      "export const load = () => import('../adapters/x.ts');",
      'export const all = [Kvm, a, m];',
      '',
    ].join('\n'));
    write('adapters/x.ts', "import { readFileSync } from 'fs';\nexport const x = readFileSync;\n");
    write('newfolder/z.ts', 'export const z = 1;\n');
    const run = check('--root', tree.path);
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n').slice(1).map((line) => line.trim()).sort();
    expect(lines).toEqual([
      'actors/supervisor.ts imports adapters/x.ts',
      'adapters/x.ts imports the package fs, which adapters/ may not use',
      'bus/t.ts imports adapters/x.ts',
      'machines/bad.ts imports actors/a.ts',
      'machines/bad.ts imports adapters/x.ts',
      'machines/bad.ts imports protocol/public.ts',
      'machines/bad.ts imports the package @nats-io/kv, which machines/ may not use',
      'newfolder/ has no rule in scripts/check-boundaries.js: say what it may import',
      'protocol/bad.ts imports bus/t.ts',
      'protocol/bad.ts imports the package pino, which protocol/ may not use',
    ]);
  });
});
