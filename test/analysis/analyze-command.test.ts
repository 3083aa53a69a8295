import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { analysisResultSchema } from '../../protocol/internal.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp.ts';

const folder = tempDir('pyexec-analyze-');
const clean = 'import numpy as np\nresults = {"mean": float(np.mean([1, 2, 3]))}\n';
const write = 'from epics import caput\ncaput("SR:HCM:1", 0.5)\nresults = {}\n';
const broken = 'results = {}\nif True:\nx = 1\n';

/** 200 files in nested folders, one of them broken; hidden folders and caches are not searched. */
beforeAll(() => {
  for (let i = 0; i < 200; i++) {
    const sub = join(folder.path, 'many', `group${i % 10}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `task_${String(i).padStart(3, '0')}.py`), i === 137 ? broken : i % 3 === 0 ? write : clean);
  }
  mkdirSync(join(folder.path, 'many', '.hidden'), { recursive: true });
  writeFileSync(join(folder.path, 'many', '.hidden', 'skipped.py'), 'import os\nos.system("ls")\n');
  mkdirSync(join(folder.path, 'many', '__pycache__'), { recursive: true });
  writeFileSync(join(folder.path, 'many', '__pycache__', 'skipped.py'), 'import os\n');
  mkdirSync(join(folder.path, 'ok'), { recursive: true });
  writeFileSync(join(folder.path, 'ok', 'a.py'), clean);
  writeFileSync(join(folder.path, 'ok', '__init__.py'), '');
  writeFileSync(join(folder.path, 'write.py'), write);
});

afterAll(() => folder.remove());

const jsonLine = analysisResultSchema.extend({ file: z.string() });

describe('pyexec analyze PATH...', () => {
  it('analyses a folder of 200 files in one process, one JSON object per file, and fails when any is sent back', async () => {
    const { code, stdout, stderr } = await runCli(['analyze', join(folder.path, 'many'), '--json'], { cwd: folder.path });
    const lines = stdout.trim().split('\n').map((line) => jsonLine.parse(JSON.parse(line)));
    expect(lines, stderr).toHaveLength(200);
    expect(lines.map((l) => l.file)).toEqual([...lines.map((l) => l.file)].sort());
    expect(lines.some((l) => l.file.includes('skipped'))).toBe(false);
    const failed = lines.filter((l) => !l.passed);
    // writes are disabled by default: the writing files are sent back too
    expect(failed.map((l) => l.file).filter((f) => f.endsWith('task_137.py'))).toHaveLength(1);
    expect(failed.find((l) => l.file.endsWith('task_137.py'))?.findings.find((f) => f.rule === 'syntax.error')).toMatchObject({ line: 3, column: 0 });
    expect(lines.find((l) => l.file.endsWith('task_003.py'))?.control_system.writes).toEqual([
      { pv: 'SR:HCM:1', function: 'epics.caput', line: 2, library: 'pyepics', value: 0.5 },
    ]);
    expect(code).toBe(1);
  });

  it('exits 0 when every file passes, empty files included', async () => {
    const { code, stdout } = await runCli(['analyze', join(folder.path, 'ok'), '--json']);
    expect(stdout.trim().split('\n')).toHaveLength(2);
    expect(code).toBe(0);
  });

  it('writes SARIF 2.1.0 with a result per finding at its line and 1-based column', async () => {
    const config = join(folder.path, 'writes.yaml');
    writeFileSync(config, 'control_system:\n  writes_enabled: true\n');
    const { code, stdout } = await runCli(['analyze', join(folder.path, 'write.py'), join(folder.path, 'ok'), '--format', 'sarif', '--config', config]);
    expect(code).toBe(0);
    const sarif = z
      .object({
        version: z.literal('2.1.0'),
        runs: z.array(
          z.object({
            tool: z.object({ driver: z.object({ name: z.string(), rules: z.array(z.object({ id: z.string() })) }) }),
            artifacts: z.array(z.object({ location: z.object({ uri: z.string() }), properties: z.object({ passed: z.boolean() }) })),
            results: z.array(
              z.object({
                ruleId: z.string(),
                level: z.enum(['error', 'warning', 'note']),
                message: z.object({ text: z.string() }),
                locations: z.array(z.object({ physicalLocation: z.object({ artifactLocation: z.object({ uri: z.string() }), region: z.object({ startLine: z.number(), startColumn: z.number(), snippet: z.object({ text: z.string() }) }).optional() }) })),
              }),
            ),
          }),
        ),
      })
      .parse(JSON.parse(stdout));
    const [run] = sarif.runs;
    expect(run?.artifacts.map((a) => a.location.uri.split('/').at(-1))).toEqual(['write.py', '__init__.py', 'a.py']);
    const write_ = run?.results.find((r) => r.ruleId === 'control.write');
    expect(write_).toMatchObject({ level: 'warning', message: { text: 'writes "SR:HCM:1" = 0.5 (epics.caput)' } });
    expect(write_?.locations[0]?.physicalLocation.region).toEqual({ startLine: 2, startColumn: 1, snippet: { text: 'caput("SR:HCM:1", 0.5)' } });
    const ids = new Set(run?.tool.driver.rules.map((r) => r.id));
    expect(run?.results.every((r) => ids.has(r.ruleId))).toBe(true);
  });

  it('names a path that does not exist and exits 2', async () => {
    const { code, stderr } = await runCli(['analyze', join(folder.path, 'nope.py')]);
    expect(code).toBe(2);
    expect(stderr).toContain('nope.py: no such file or folder');
  });
});
