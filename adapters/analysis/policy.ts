/**
 * The approval policy of DESIGN.md ("Safety model"), applied to what the
 * analysis found: whether the code goes back to the generator, which
 * execution mode it runs in, and whether a human must approve it first —
 * with the reasons in words an operator in the control room can act on.
 */
import type { Finding } from '../../protocol/public.ts';
import type { PvAccess } from '../../protocol/internal.ts';
import type { Config } from '../../config/schema.ts';

export interface PolicyInput {
  findings: Finding[];
  reads: PvAccess[];
  writes: PvAccess[];
}

export interface PolicyDecision {
  passed: boolean;
  execution_mode: string;
  requires_approval: boolean;
  reasoning: string[];
  /** Findings the policy adds (writes while writes are disabled). */
  findings: Finding[];
}

/** The approval settings, whether writes are enabled, and the execution modes a decision picks from. */
export interface PolicySettings {
  approval: Config['approval'];
  writesEnabled: boolean;
  modes: Config['execution']['modes'];
}

const listLimit = 5;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `"A:B", "C:D" and 1 PV named at run time` */
function describePvs(accesses: PvAccess[]): string {
  const names = [...new Set(accesses.map((a) => a.pv).filter((pv): pv is string => pv !== null))];
  const computed = accesses.filter((a) => a.pv === null).length;
  const parts: string[] = [];
  if (names.length > 0) {
    const shown = names.slice(0, 10).map((pv) => `"${pv}"`);
    parts.push(names.length > 10 ? `${shown.join(', ')} and ${names.length - 10} more` : shown.join(', '));
  }
  if (computed > 0) parts.push(`${plural(computed, 'PV')} whose name is only known at run time`);
  return parts.join(' and ');
}

function findingLine(finding: Finding): string {
  return finding.line > 0 ? `line ${finding.line}: ${finding.message}` : finding.message;
}

/** The mode that allows writes: `write_access` when it does, else the first that does. */
function writeModeName(modes: PolicySettings['modes']): string {
  if (modes.write_access?.allows_writes === true) return 'write_access';
  const found = Object.entries(modes).find(([, mode]) => mode.allows_writes);
  if (found === undefined) throw new Error('execution.modes has no mode that allows writes');
  return found[0];
}

function approvalByPolicy(settings: PolicySettings, writes: boolean): { required: boolean; why: string } {
  const { global_mode: global, capabilities } = settings.approval;
  const python = capabilities.python_execution;
  if (global === 'disabled') return { required: false, why: 'approval is switched off for every capability (approval.global_mode is "disabled")' };
  if (global === 'all_capabilities') return { required: true, why: 'every execution needs a human approval (approval.global_mode is "all_capabilities")' };
  if (!python.enabled) return { required: false, why: 'approval is switched off for Python execution' };
  switch (python.mode) {
    case 'disabled':
      return { required: false, why: 'approval is switched off for Python execution (mode "disabled")' };
    case 'all_code':
      return { required: true, why: 'all generated code needs a human approval (mode "all_code")' };
    case 'control_writes':
      return writes
        ? { required: true, why: 'the code writes to the control system and writes need a human approval (mode "control_writes")' }
        : { required: false, why: 'the code does not write to the control system, and only writes need approval (mode "control_writes")' };
  }
}

export function decide(settings: PolicySettings, input: PolicyInput): PolicyDecision {
  const reasoning: string[] = [];
  const added: Finding[] = [];
  const writes = input.writes.length > 0;
  const writesEnabled = settings.writesEnabled;

  if (writes) reasoning.push(`The code writes to the control system: ${describePvs(input.writes)}.`);
  if (input.reads.length > 0) reasoning.push(`The code reads from the control system: ${describePvs(input.reads)}.`);
  if (!writes && input.reads.length === 0) reasoning.push('The code does not access the control system.');

  if (writes && !writesEnabled) {
    const first = input.writes[0];
    added.push({
      rule: 'policy.writes_disabled',
      severity: 'blocking',
      message: 'the code writes to the control system, but writes are disabled in this installation (control_system.writes_enabled is false)',
      line: first?.line ?? 0,
      column: 0,
      excerpt: '',
    });
    reasoning.push('Writes to the control system are disabled in this installation, so code that writes cannot run.');
  }

  const findings = [...input.findings, ...added];
  const blocking = findings.filter((f) => f.severity === 'blocking');
  const warnings = findings.filter((f) => f.severity === 'warning' && !f.rule.startsWith('control.'));
  const passed = blocking.length === 0;
  const mode = writes && writesEnabled ? writeModeName(settings.modes) : 'read_only';

  if (!passed) {
    const shown = blocking.slice(0, listLimit).map(findingLine).join('; ');
    const more = blocking.length > listLimit ? ` (and ${blocking.length - listLimit} more)` : '';
    reasoning.push(`The code was sent back to the code generator because of ${plural(blocking.length, 'blocking problem')}: ${shown}${more}.`);
    return { passed, execution_mode: mode, requires_approval: false, reasoning, findings: added };
  }

  reasoning.push(
    mode === 'read_only'
      ? 'It will run in the read-only mode, where the control system refuses writes.'
      : `It will run in the "${mode}" mode, which allows writes to the control system.`,
  );
  if (warnings.length > 0) {
    const shown = warnings.slice(0, listLimit).map(findingLine).join('; ');
    reasoning.push(`Worth a look: ${shown}${warnings.length > listLimit ? ` (and ${warnings.length - listLimit} more)` : ''}.`);
  }
  const policy = approvalByPolicy(settings, writes);
  const modeRequires = settings.modes[mode]?.requires_approval === true;
  const required = policy.required || modeRequires;
  if (required) {
    const why = policy.required ? policy.why : `the "${mode}" execution mode always needs a human approval`;
    reasoning.push(`A human must approve this code before it runs: ${why}.`);
  } else {
    reasoning.push(`No approval is needed: ${policy.why}.`);
  }
  return { passed, execution_mode: mode, requires_approval: required, reasoning, findings: added };
}
