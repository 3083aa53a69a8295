/**
 * The rule catalogue: every rule id the analyzer can report, its default
 * (strict) severity, and whether a facility may change it. Rules that guard
 * the analysis itself (syntax, limits, policy) are fixed at `blocking`: code
 * that was not fully analysed, or that writes while writes are disabled, must
 * never pass whatever the configuration says.
 */
import type { Severity } from '../../protocol/public.ts';

interface RuleSpec {
  readonly severity: Severity;
  readonly configurable: boolean;
  /** One line for docs and error messages. */
  readonly summary: string;
}

export const rules = {
  'syntax.error': { severity: 'blocking', configurable: false, summary: 'the code is not valid Python' },
  'syntax.nul_byte': { severity: 'blocking', configurable: false, summary: 'the code contains NUL bytes, which Python refuses' },
  'limits.code_too_large': { severity: 'blocking', configurable: false, summary: 'the code is larger than analysis.max_code_bytes' },
  'limits.too_complex': {
    severity: 'blocking',
    configurable: false,
    summary: 'the syntax tree exceeds analysis.max_nodes / max_depth, or parsing exceeded analysis.parse_timeout_ms',
  },
  'syntax.python_unavailable': {
    severity: 'warning',
    configurable: true,
    summary: "the kernel's Python could not check the syntax; the verdict is the analyzer's parser's, which tolerates some errors",
  },
  'analysis.internal_error': { severity: 'blocking', configurable: false, summary: 'the analyzer failed; the code is refused' },
  'analysis.partial': {
    severity: 'blocking',
    configurable: false,
    summary: "Python accepts the code but the analyzer's parser could not read all of it, so parts of it were not inspected",
  },
  'policy.writes_disabled': {
    severity: 'blocking',
    configurable: false,
    summary: 'the code writes to the control system while control_system.writes_enabled is false',
  },
  'process.execution': { severity: 'blocking', configurable: true, summary: 'starts processes (subprocess, os.system, os.exec*, pty...)' },
  'process.interpreter': {
    severity: 'blocking',
    configurable: true,
    summary: 'starts fresh Python interpreters (multiprocessing spawn/forkserver or get_context, ProcessPoolExecutor)',
  },
  'dynamic.code': {
    severity: 'blocking',
    configurable: true,
    summary: 'runs code built at run time (eval, exec, compile, __import__, importlib, runpy, timeit, cProfile.run, code.Interactive*, pkgutil.resolve_name, pydoc.locate, a .py file it wrote)',
  },
  'native.code': { severity: 'blocking', configurable: true, summary: 'loads native code (ctypes, cffi, numpy.ctypeslib, epics.ca.libca)' },
  'network.access': { severity: 'blocking', configurable: true, summary: 'opens network connections (socket, urllib, requests, httpx...)' },
  'file.delete': { severity: 'blocking', configurable: true, summary: 'deletes files or folders (shutil.rmtree, os.remove, Path.unlink...)' },
  'file.write_outside': {
    severity: 'blocking',
    configurable: true,
    summary: 'writes a file at an absolute path or through "..", outside the execution folder',
  },
  'file.write_unresolved': {
    severity: 'warning',
    configurable: true,
    summary: 'writes or deletes a file whose path is computed at run time',
  },
  'deserialization.unsafe': { severity: 'blocking', configurable: true, summary: 'unsafe deserialisation (pickle, marshal, shelve)' },
  'environment.read': { severity: 'blocking', configurable: true, summary: 'reads or changes the process environment (os.environ, os.getenv)' },
  'escape.introspection': {
    severity: 'blocking',
    configurable: true,
    summary: 'reaches interpreter internals (globals(), vars(), __builtins__, __subclasses__, sys.modules...)',
  },
  'escape.module_mutation': { severity: 'blocking', configurable: true, summary: 'changes an attribute of a module (setattr or assignment)' },
  'resolution.dynamic_attribute': {
    severity: 'blocking',
    configurable: true,
    summary: 'getattr/setattr/delattr with a computed name on a module or a control-system object',
  },
  'resolution.indirect_call': {
    severity: 'blocking',
    configurable: true,
    summary: 'reaches a function through a name held in a string (operator.methodcaller/attrgetter naming a control-system write, functools.reduce(getattr, ...))',
  },
  'control.write': { severity: 'warning', configurable: true, summary: 'writes to the control system (a modelled client library call)' },
  'control.read': { severity: 'info', configurable: true, summary: 'reads from the control system' },
  'control.pattern_write': {
    severity: 'warning',
    configurable: true,
    summary: 'a call the analyzer could not resolve matches a configured write pattern; treated as a write',
  },
  'control.pattern_read': {
    severity: 'info',
    configurable: true,
    summary: 'a call the analyzer could not resolve matches a configured read pattern; treated as a read',
  },
  'results.not_assigned': { severity: 'warning', configurable: true, summary: 'the code never assigns the `results` dict' },
} as const satisfies Record<string, RuleSpec>;

export type RuleId = keyof typeof rules;

export const ruleIds = Object.keys(rules) as RuleId[];

export function isRuleId(id: string): id is RuleId {
  return Object.hasOwn(rules, id);
}

export type SeverityTable = Readonly<Record<RuleId, Severity>>;

/**
 * The severity of every rule after the configuration's overrides. Unknown
 * ids and overrides of fixed rules are configuration mistakes, reported with
 * the list of valid ids.
 */
export function severityTable(overrides: Readonly<Record<string, Severity>>): SeverityTable {
  const problems: string[] = [];
  const table = Object.fromEntries(ruleIds.map((id) => [id, rules[id].severity])) as Record<RuleId, Severity>;
  for (const [id, severity] of Object.entries(overrides)) {
    if (!isRuleId(id)) problems.push(`analysis.rule_severity.${id}: unknown rule id`);
    else if (!rules[id].configurable && severity !== rules[id].severity) {
      problems.push(`analysis.rule_severity.${id}: this rule is fixed at ${rules[id].severity}`);
    } else table[id] = severity;
  }
  if (problems.length > 0) {
    const configurable = ruleIds.filter((id) => rules[id].configurable).join(', ');
    throw new Error(`invalid analysis configuration:\n${problems.join('\n')}\n(configurable rules: ${configurable})`);
  }
  return table;
}
