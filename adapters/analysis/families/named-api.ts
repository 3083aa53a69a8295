/**
 * Names from Python's library and common packages whose mere use is a risk
 * (python-api.ts: `subprocess.run`, `eval`, `pickle.loads`, `socket`), and
 * the native code of control-system clients (`epics.ca.libca`): reported
 * where they are imported, called, or read as a value (`f = os.system`
 * counts where it is read, since every call through `f` runs a process).
 */
import { ruleOfName } from '../python-api.ts';
import { builtinNames } from '../python-names.ts';
import { qnameOf, type Value } from '../resolver.ts';
import { defineRuleFamily, rule } from '../rule-family.ts';
import type { RuleId } from '../rules.ts';
import type { SyntaxNode } from '../syntax-node.ts';

export const namedApiRules = {
  'process.execution': rule('blocking', 'starts processes (subprocess, os.system, os.exec*, pty...)'),
  'process.interpreter': rule('blocking', 'starts fresh Python interpreters (multiprocessing spawn/forkserver or get_context, ProcessPoolExecutor)'),
  'dynamic.code': rule(
    'blocking',
    'runs code built at run time (eval, exec, compile, __import__, importlib, runpy, timeit, cProfile.run, code.Interactive*, pkgutil.resolve_name, pydoc.locate, a .py file it wrote)',
  ),
  'native.code': rule('blocking', 'loads native code (ctypes, cffi, numpy.ctypeslib, epics.ca.libca)'),
  'network.access': rule('blocking', 'opens network connections (socket, urllib, requests, httpx...)'),
  'deserialization.unsafe': rule('blocking', 'unsafe deserialisation (pickle, marshal, shelve)'),
  'environment.read': rule('blocking', 'reads or changes the process environment (os.environ, os.getenv)'),
};

/** What the names of a rule do, for the message: `calls os.system, which starts other programs`. */
const ruleWords: Partial<Record<RuleId, string>> = {
  'process.execution': 'which starts other programs',
  'dynamic.code': 'which runs code built at run time',
  'native.code': 'which loads native machine code',
  'process.interpreter': 'which starts fresh Python interpreters that run code the analysis never sees',
  'network.access': 'which opens network connections',
  'file.delete': 'which deletes files or folders',
  'deserialization.unsafe': 'whose loading of stored objects can run arbitrary code',
  'environment.read': 'which exposes the process environment, where credentials live',
  'escape.introspection': 'which reaches into interpreter internals',
};

/** Built-in names that matter where nothing in the file rebinds them (`eval`, `globals`, ...). */
const builtinsThatMatter = [...builtinNames].filter((name) => ruleOfName(`builtins.${name}`) !== null);

export const namedApiFamily = defineRuleFamily('named-api', namedApiRules, ({ model, report }) => {
  /** The same few qualified names come up again and again (`builtins.print`, `numpy.asarray`). */
  const rules = new Map<string, RuleId | null>();
  const ruleOf = (qname: string): RuleId | null => {
    let found = rules.get(qname);
    if (found === undefined) {
      found = ruleOfName(qname);
      rules.set(qname, found);
    }
    return found;
  };
  const named = (verb: string, qname: string, node: SyntaxNode): boolean => {
    const risk = ruleOf(qname);
    if (risk !== null) report(risk, `${verb} ${qname}, ${ruleWords[risk] ?? ''}`.trim(), node);
    return risk !== null;
  };
  const native = (verb: string, qname: string, node: SyntaxNode): boolean => {
    const isNative = model.isNative(qname);
    if (isNative) report('native.code', `${verb} ${qname}, native code of a control-system client that blocks and bypasses what the analysis can see`, node);
    return isNative;
  };
  const matters = (value: Value): boolean => {
    const qname = qnameOf(value);
    return qname !== null && (ruleOf(qname) !== null || model.isNative(qname));
  };
  return {
    unboundNames: builtinsThatMatter,
    matters: (_name, values) => values.some(matters),
    imported(qname, _module, node) {
      named('imports', qname, node);
      native('imports', model.normalize(qname), node);
    },
    read(node, values, how) {
      if (how !== 'value') return;
      for (const value of values) {
        const qname = qnameOf(value);
        if (qname === null) continue;
        named('uses', qname, node);
        native('uses', qname, node);
      }
    },
    call(node, _value, qname) {
      const known = named('calls', qname, node);
      return native('calls', qname, node) || known;
    },
  };
});
