/**
 * Control-system reads and writes (control-access.ts, from the library
 * tables in control/): calls of modelled functions and methods, attribute
 * reads and assignments on control objects, `setattr` with a literal name,
 * functions and methods handed on as values; and, for calls no family knows,
 * the facility's configured patterns (patterns.ts).
 */
import { positionalArguments, qnameOf, type Value } from '../resolver.ts';
import { defineRuleFamily, rule } from '../rule-family.ts';
import { shown } from '../node-text.ts';
import type { SyntaxNode } from '../syntax-node.ts';

export const controlRules = {
  'control.write': rule('warning', 'writes to the control system (a modelled client library call)'),
  'control.read': rule('info', 'reads from the control system'),
  'control.pattern_write': rule('warning', 'a call the analyzer could not resolve matches a configured write pattern; treated as a write'),
  'control.pattern_read': rule('info', 'a call the analyzer could not resolve matches a configured read pattern; treated as a read'),
};

/** The right side of `target = value` for a plain assignment, else null (`+=`, `del`, unpacking). */
function assignedValue(target: SyntaxNode): SyntaxNode | null {
  const parent = target.parent;
  if (parent?.type !== 'assignment' || parent.child('left') !== target) return null;
  return parent.child('right') ?? null;
}

export const controlFamily = defineRuleFamily('control', controlRules, ({ model, resolver, controls, patterns, report }) => {
  const isControlObject = (value: Value) => (value.kind === 'instance' || value.kind === 'member') && model.classOf(value.of) !== undefined;
  const mayMatter = new Map<string, boolean>();
  const matters = (value: Value): boolean => {
    if (value.kind === 'member' && model.classOf(value.of) !== undefined) return true;
    const qname = qnameOf(value);
    if (qname === null) return false;
    let found = mayMatter.get(qname);
    if (found === undefined) {
      found = model.mayMatter(qname);
      mayMatter.set(qname, found);
    }
    return found;
  };
  return {
    unboundNames: model.injectedNamesList,
    matters: (_name, values) => values.some(matters),
    read(node, values, how) {
      if (how !== 'value') {
        // a name called or chained is looked at as the call or the attribute it is part of
        if (node.type === 'attribute') for (const value of values) controls.attributeRead(value, node, how === 'called');
        return;
      }
      for (const value of values) {
        const qname = qnameOf(value);
        if (qname === null) continue;
        controls.passedAsValue(value, qname, node);
        controls.attributeRead(value, node, false);
      }
    },
    stored(node, object, name, scope) {
      // the assigned value is only looked up for control objects: one wasm call for the parent
      if (isControlObject(object)) controls.attributeStore(object, name, assignedValue(node) ?? undefined, node, scope);
    },
    call(node, value, qname, scope) {
      if (qname === 'builtins.setattr') {
        const [objectNode, nameNode, valueNode] = positionalArguments(node.child('arguments'));
        const attribute = nameNode === undefined ? null : resolver.staticText(nameNode);
        if (objectNode !== undefined && attribute?.complete === true) {
          for (const object of resolver.resolve(objectNode, scope)) controls.attributeStore(object, attribute.value, valueNode, node, scope);
        }
      }
      let known = controls.functionCall(qname, node, scope);
      if (value.kind === 'member') known = controls.methodCall(value, node, scope) || known;
      if (value.kind === 'ref') known = controls.unboundMethodCall(qname, node) || known;
      return known;
    },
    unplacedCall(node, callee, values, scope) {
      const written = callee.text.replace(/\s+/g, '');
      const candidates = [`${written}(`, ...values.map(qnameOf).filter((q): q is string => q !== null).map((q) => `${q}(`)];
      const match = patterns.match(candidates);
      if (match === null) return;
      const unknown = values.find((v): v is Extract<Value, { kind: 'unknown' }> => v.kind === 'unknown');
      const why = unknown === undefined ? `${written} is not a name the analyzer knows` : `the analyzer could not resolve ${written}: ${unknown.why}`;
      const [first] = positionalArguments(node.child('arguments'));
      const names = first === undefined ? [] : resolver.stringValues(first, scope).map((text) => (text?.complete === true ? text.value : null));
      controls.patternAccess(match.access, names.length > 0 ? names : [null], written, node, scope);
      report(
        match.access === 'write' ? 'control.pattern_write' : 'control.pattern_read',
        `${shown(node)} matches the configured ${match.access} pattern /${match.pattern}/ and ${why}; it is treated as a control-system ${match.access}`,
        node,
      );
    },
  };
});
