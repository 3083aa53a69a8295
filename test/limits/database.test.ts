import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelEntrySchema, isValidEntry, unknownFields } from '../../adapters/limits/file-schema.ts';
import { parseLimitsText, LimitsFileError } from '../../adapters/limits/load.ts';
import { LimitsSource, openLimitsSource } from '../../adapters/limits/source.ts';
import { parseConfig, ConfigError } from '../../config/index.ts';
import { tempDir } from '../support/temp.ts';
import { peerLimits, writeLimitsFile } from './limits-fixture.ts';

const parse = (content: unknown, policy: 'deny_unlisted' | 'allow_unlisted' = 'deny_unlisted') =>
  parseLimitsText(typeof content === 'string' ? content : JSON.stringify(content), policy, 'test.json');

function problemsOf(content: unknown): string {
  try {
    parse(content);
  } catch (error) {
    expect(error).toBeInstanceOf(LimitsFileError);
    return (error as Error).message;
  }
  throw new Error('the file was accepted');
}

describe('limits file (the peer shape, read as is)', () => {
  it('reads defaults, channels, patterns and comments; every channel inherits defaults', () => {
    const database = parse(peerLimits);
    expect(database.entryCount).toBe(4);
    expect(database.lookup('SR:RF:FREQ')).toEqual({
      entry: 'SR:RF:FREQ',
      pattern: false,
      limits: { min_value: null, max_value: null, max_step: null, writable: false, verification: { level: 'callback' } },
    });
    expect(database.lookup('LTS:H1:CurrentAO')?.limits).toMatchObject({ min_value: -5, max_value: 5, writable: true, verification: { level: 'none' } });
  });

  it('looks up the exact name first, then the most specific pattern', () => {
    const database = parse({ ...peerLimits, 'SR:*': { max_value: 1 } });
    expect(database.lookup('SR:MAG:QF1:CURRENT:SP')?.entry).toBe('SR:MAG:QF1:CURRENT:SP');
    expect(database.lookup('SR:MAG:QD7:CURRENT:SP')).toMatchObject({
      entry: 'SR:MAG:*:CURRENT:SP',
      pattern: true,
      limits: { min_value: 0, max_value: 500, max_step: 5, verification: { level: 'readback', tolerance_percent: 0.2 } },
    });
    expect(database.lookup('SR:VAC:GAUGE')?.entry).toBe('SR:*');
    expect(database.lookup('BR:MAG:QD7:CURRENT:SP')).toBeNull();
  });

  it('treats everything but * as literal in patterns', () => {
    const database = parse({ 'A.B:*': { max_value: 1 } });
    expect(database.lookup('A.B:X')).not.toBeNull();
    expect(database.lookup('AxB:X')).toBeNull();
  });

  it('gives readback a default tolerance of 0.1 % when the file gives none', () => {
    expect(parse({ X: { verification: { level: 'readback' } } }).lookup('X')?.limits.verification).toEqual({ level: 'readback', tolerance_percent: 0.1 });
  });

  it('versions the file by the sha256 of its bytes', () => {
    const text = JSON.stringify(peerLimits);
    expect(parse(text).version).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('names the channel and the field of each problem', () => {
    const message = problemsOf({
      defaults: { writable: 'yes' },
      'SR:A': { min_value: '10' },
      'SR:B': { max_step: 0 },
      'SR:C': { min_value: 5, max_value: 1 },
      'SR:D': { verification: { level: 'sometimes' } },
      'SR:E': { maximum: 3 },
      'SR:F': 12,
      'SR:G': { verification: { level: 'readback', tolerance: 1 } },
    });
    expect(message).toContain('invalid channel limits file test.json');
    expect(message).toContain('channel "defaults", field writable: must be true or false');
    expect(message).toContain('channel "SR:A", field min_value: must be a number');
    expect(message).toContain('channel "SR:B", field max_step: must be greater than 0');
    expect(message).toContain('channel "SR:C", field min_value: is greater than max_value (5 > 1');
    expect(message).toContain('channel "SR:D", field verification.level: must be one of none, callback, readback');
    expect(message).toContain('channel "SR:E", field maximum: is not a known field');
    expect(message).toContain('channel "SR:F": must be an object of limits');
    expect(message).toContain('channel "SR:G", field verification.tolerance: is not a known field (known: level, tolerance_percent, tolerance_absolute');
  });

  it('takes the fast path exactly for the entries zod accepts', () => {
    const entries: unknown[] = [
      {}, { _comment: 'x' }, { min_value: null, max_value: 3 }, { min_value: -1.5, max_step: 0.1, writable: false },
      { verification: { level: 'readback', tolerance_percent: 0, _comment: 'x' } }, { verification: { level: 'none' } },
      { verification: { level: 'callback', tolerance_absolute: 2 } },
      null, 3, 'x', [], [{}], { min_value: '1' }, { max_value: true }, { max_step: 0 }, { max_step: -1 }, { max_step: null },
      { writable: 'true' }, { writable: null }, { verification: null }, { verification: {} }, { verification: { level: 'READBACK' } },
      { verification: { level: 'readback', tolerance_percent: -1 } }, { verification: { level: 'none', extra: 1 } }, { maximum: 1 },
      { verification: 'readback' }, { min_value: Number.NaN },
    ];
    for (const entry of entries) {
      const parsed = channelEntrySchema.safeParse(entry);
      const accepted = parsed.success && unknownFields('X', parsed.data).length === 0;
      expect([entry, isValidEntry(entry)]).toEqual([entry, accepted]);
    }
  });

  it('refuses text that is not a JSON object', () => {
    expect(problemsOf('{"a": ')).toMatch(/is not valid JSON/);
    expect(problemsOf('[1, 2]')).toMatch(/must be a JSON object whose keys are channel names/);
  });
});

describe('limits source', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.remove());

  it('is absent without a configured file; a file that does not load is a configuration error', () => {
    expect(openLimitsSource(parseConfig({}))).toBeNull();
    const bad = writeLimitsFile(dir.path, { X: { min_value: 'low' } });
    const config = parseConfig({ control_system: { limits: { file: bad } } });
    expect(() => openLimitsSource(config)).toThrow(ConfigError);
    expect(() => openLimitsSource(config)).toThrow(/control_system\.limits\.file: .*channel "X", field min_value/s);
  });

  it('reloads a changed file, and refuses every write (unavailable) while the file is invalid', () => {
    const path = writeLimitsFile(dir.path);
    const source = LimitsSource.open(path, 'deny_unlisted');
    const first = source.current();
    expect(first.kind).toBe('loaded');
    expect(source.current()).toBe(first);

    // Replaced as editors and deploy tools do: a new file renamed over the old one.
    const next = join(dir.path, 'next.json');
    writeFileSync(next, JSON.stringify({ ...peerLimits, 'NEW:PV': { max_value: 1 } }));
    renameSync(next, path);
    const second = source.current();
    if (second.kind !== 'loaded' || first.kind !== 'loaded') throw new Error('expected loaded limits');
    expect(second.database.version).not.toBe(first.database.version);
    expect(second.database.lookup('NEW:PV')).not.toBeNull();

    writeFileSync(path, JSON.stringify({ ...peerLimits, 'NEW:PV': { max_value: 'one' } }));
    const broken = source.current();
    expect(broken).toMatchObject({ kind: 'unavailable', policy: 'deny_unlisted' });
    expect(broken.kind === 'unavailable' && broken.reason).toMatch(/channel "NEW:PV", field max_value/);
  });
});
