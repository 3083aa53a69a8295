/**
 * The rule catalogue: every rule id the analyzer can report, its default
 * (strict) severity, and whether a facility may change it. The core's rules
 * guard the analysis itself (syntax, limits, policy) and are fixed at
 * `blocking`: code that was not fully analysed, or that writes while writes
 * are disabled, must never pass whatever the configuration says. The other
 * rules come with the rule families that report them (families/).
 */
import type { Severity } from '../../protocol/public.ts';
import { builtinRuleFamilies } from './families/index.ts';
import type { codeEscapeRules } from './families/code-escapes.ts';
import type { controlRules } from './families/control.ts';
import type { fileRules } from './families/files.ts';
import type { introspectionRules } from './families/introspection.ts';
import type { namedApiRules } from './families/named-api.ts';
import type { resultRules } from './families/results.ts';
import { catalogueOf, fixed, rule, type RuleFamily, type RuleSpec } from './rule-family.ts';

export const coreRules = {
  'syntax.error': fixed('the code is not valid Python'),
  'syntax.nul_byte': fixed('the code contains NUL bytes, which Python refuses'),
  'limits.code_too_large': fixed('the code is larger than analysis.max_code_bytes'),
  'limits.too_complex': fixed('the syntax tree exceeds analysis.max_nodes / max_depth, or parsing exceeded analysis.parse_timeout_ms'),
  'syntax.python_unavailable': rule(
    'warning',
    "the kernel's Python could not check the syntax; the verdict is the analyzer's parser's, which tolerates some errors",
  ),
  'analysis.internal_error': fixed('the analyzer failed; the code is refused'),
  'analysis.partial': fixed("Python accepts the code but the analyzer's parser could not read all of it, so parts of it were not inspected"),
  'policy.writes_disabled': fixed('the code writes to the control system while control_system.writes_enabled is false'),
};

/** The ids of the core's and the built-in families' rules: what the built-in checks may report. */
export type RuleId = keyof (typeof coreRules &
  typeof namedApiRules &
  typeof introspectionRules &
  typeof fileRules &
  typeof codeEscapeRules &
  typeof controlRules &
  typeof resultRules);

/** The built-in catalogue (docs, SARIF's rule list). */
export const rules = catalogueOf(coreRules, builtinRuleFamilies) as Readonly<Record<RuleId, RuleSpec>>;

export const ruleIds = Object.keys(rules) as RuleId[];

export type SeverityTable = Readonly<Record<string, Severity>>;

/**
 * The severity of every rule of the core and of `families` after the
 * configuration's overrides. Unknown ids and overrides of fixed rules are
 * configuration mistakes, reported with the list of valid ids.
 */
export function severityTable(overrides: Readonly<Record<string, Severity>>, families: readonly RuleFamily[] = builtinRuleFamilies): SeverityTable {
  const catalogue: Readonly<Record<string, RuleSpec>> = families === builtinRuleFamilies ? rules : catalogueOf(coreRules, families);
  const problems: string[] = [];
  const table: Record<string, Severity> = Object.fromEntries(Object.entries(catalogue).map(([id, spec]) => [id, spec.severity]));
  for (const [id, severity] of Object.entries(overrides)) {
    const spec = Object.hasOwn(catalogue, id) ? catalogue[id] : undefined;
    if (spec === undefined) problems.push(`analysis.rule_severity.${id}: unknown rule id`);
    else if (!spec.configurable && severity !== spec.severity) {
      problems.push(`analysis.rule_severity.${id}: this rule is fixed at ${spec.severity}`);
    } else table[id] = severity;
  }
  if (problems.length > 0) {
    const configurable = Object.keys(catalogue).filter((id) => catalogue[id]?.configurable === true).join(', ');
    throw new Error(`invalid analysis configuration:\n${problems.join('\n')}\n(configurable rules: ${configurable})`);
  }
  return table;
}
