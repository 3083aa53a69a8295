import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { analysisResultSchema, type AnalysisResult } from '../../protocol/internal.ts';
import { parseConfig } from '../../config/index.ts';
import type { ConfigInput } from '../../config/schema.ts';
import { createAnalyzer } from '../../adapters/analysis/index.ts';

const writeCode = 'from epics import caput\ncaput("SR:HCM:1", 0.5)\nresults = {}\n';
const readCode = 'from epics import caget\nresults = {"v": caget("SR:BPM:1")}\n';

async function analyse(config: ConfigInput, code: string): Promise<AnalysisResult> {
  const analyzer = await createAnalyzer(parseConfig(config));
  return analysisResultSchema.parse(await analyzer.analyze(code));
}

const enabled = { control_system: { writes_enabled: true } };

describe('approval policy', () => {
  it('fails code that writes while writes are disabled, with a blocking finding and words for the operator', async () => {
    const result = await analyse({}, writeCode);
    expect(result.passed).toBe(false);
    expect(result.requires_approval).toBe(false);
    expect(result.execution_mode).toBe('read_only');
    const finding = result.findings.find((f) => f.rule === 'policy.writes_disabled');
    expect(finding).toMatchObject({ severity: 'blocking', line: 2, excerpt: 'caput("SR:HCM:1", 0.5)' });
    expect(result.reasoning.join(' ')).toMatch(/writes to the control system are disabled/i);
  });

  it('picks write_access and asks for approval for writes in control_writes mode', async () => {
    const result = await analyse(enabled, writeCode);
    expect(result).toMatchObject({ passed: true, execution_mode: 'write_access', requires_approval: true });
    expect(result.control_system.writes).toEqual([{ pv: 'SR:HCM:1', function: 'epics.caput', line: 2, library: 'pyepics', value: 0.5 }]);
    expect(result.reasoning.join(' ')).toContain('"SR:HCM:1"');
  });

  it('accepts the epics_writes alias of control_writes', async () => {
    const config = { ...enabled, approval: { capabilities: { python_execution: { enabled: true, mode: 'epics_writes' as const } } } };
    expect((await analyse(config, writeCode)).requires_approval).toBe(true);
    expect((await analyse(config, readCode)).requires_approval).toBe(false);
  });

  it('runs read-only code in read_only without approval in control_writes mode', async () => {
    const result = await analyse(enabled, readCode);
    expect(result).toMatchObject({ passed: true, execution_mode: 'read_only', requires_approval: false });
    expect(result.control_system.reads).toEqual([{ pv: 'SR:BPM:1', function: 'epics.caget', line: 2, library: 'pyepics' }]);
  });

  it('asks for approval of all code in all_code mode', async () => {
    const config = { approval: { capabilities: { python_execution: { enabled: true, mode: 'all_code' as const } } } };
    expect((await analyse(config, readCode)).requires_approval).toBe(true);
  });

  it('asks for approval of everything in the all_capabilities global mode', async () => {
    const config = { approval: { global_mode: 'all_capabilities' as const, capabilities: { python_execution: { enabled: true, mode: 'disabled' as const } } } };
    expect((await analyse(config, readCode)).requires_approval).toBe(true);
  });

  it('skips approval when the global mode is disabled, unless the execution mode itself requires it', async () => {
    const global = { global_mode: 'disabled' as const };
    expect((await analyse({ approval: global }, readCode)).requires_approval).toBe(false);
    // write_access has requires_approval: true by default
    expect((await analyse({ ...enabled, approval: global }, writeCode)).requires_approval).toBe(true);
    const noModeApproval = {
      ...enabled,
      approval: global,
      execution: {
        modes: {
          read_only: { kernel_name: 'ro', allows_writes: false },
          write_access: { kernel_name: 'rw', allows_writes: true, requires_approval: false },
        },
      },
    };
    expect((await analyse(noModeApproval, writeCode)).requires_approval).toBe(false);
  });

  it('skips approval when python_execution approval is not enabled or its mode is disabled', async () => {
    const off = { ...enabled, approval: { capabilities: { python_execution: { enabled: false, mode: 'all_code' as const } } } };
    expect((await analyse(off, readCode)).requires_approval).toBe(false);
    const disabled = { approval: { capabilities: { python_execution: { enabled: true, mode: 'disabled' as const } } } };
    expect((await analyse(disabled, readCode)).requires_approval).toBe(false);
  });

  it('honours a mode that requires approval even for read-only code', async () => {
    const config = {
      approval: { capabilities: { python_execution: { enabled: true, mode: 'disabled' as const } } },
      execution: {
        modes: {
          read_only: { kernel_name: 'ro', allows_writes: false, requires_approval: true },
          write_access: { kernel_name: 'rw', allows_writes: true },
        },
      },
    };
    expect((await analyse(config, readCode)).requires_approval).toBe(true);
  });

  it('picks the configured write mode when it is not called write_access', async () => {
    const config = {
      ...enabled,
      execution: { modes: { read_only: { kernel_name: 'ro', allows_writes: false }, operator: { kernel_name: 'rw', allows_writes: true } } },
    };
    expect((await analyse(config, writeCode)).execution_mode).toBe('operator');
  });

  it('binds the result to the sha256 of the exact code', async () => {
    const code = 'results = {"é": 1}\n';
    const result = await analyse({}, code);
    expect(result.code_sha256).toBe(createHash('sha256').update(Buffer.from(code, 'utf8')).digest('hex'));
    expect(result.analyzer).toBe('tree-sitter-python');
  });

  it('reports a missing results dict as a warning that does not fail the analysis', async () => {
    const result = await analyse({}, 'x = 1\n');
    expect(result.passed).toBe(true);
    expect(result.findings).toContainEqual(expect.objectContaining({ rule: 'results.not_assigned', severity: 'warning', line: 0 }));
  });
});

describe('configurable severities and patterns', () => {
  it('applies a configured severity to a rule', async () => {
    const result = await analyse({ analysis: { rule_severity: { 'environment.read': 'warning' } } }, 'import os\nresults = {"h": os.getenv("HOME")}\n');
    expect(result.passed).toBe(true);
    expect(result.findings.find((f) => f.rule === 'environment.read')?.severity).toBe('warning');
  });

  it('can make every control-system write blocking', async () => {
    const result = await analyse({ ...enabled, analysis: { rule_severity: { 'control.write': 'blocking' } } }, writeCode);
    expect(result.passed).toBe(false);
  });

  it('refuses unknown rule ids and overrides of fixed rules', async () => {
    await expect(createAnalyzer(parseConfig({ analysis: { rule_severity: { 'no.such_rule': 'info' } } }))).rejects.toThrow(/no\.such_rule: unknown rule id/);
    await expect(createAnalyzer(parseConfig({ analysis: { rule_severity: { 'syntax.error': 'info' } } }))).rejects.toThrow(/fixed at blocking/);
  });

  it('uses a facility pattern from the configuration on top of the built-in rules', async () => {
    const config = { ...enabled, control_system: { writes_enabled: true, patterns: { write: [String.raw`\bset_magnet\s*\(`], read: [] } } };
    const result = await analyse(config, 'from facility import set_magnet\nset_magnet("Q1", 3)\nresults = {}\n');
    expect(result.control_system.writes).toEqual([{ pv: 'Q1', function: 'set_magnet', line: 2, value: 3 }]);
    expect(result.findings.find((f) => f.rule === 'control.pattern_write')?.message).toContain('set_magnet');
  });
});
