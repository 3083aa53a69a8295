/**
 * Reaching into the interpreter: attributes that lead to its internals on any
 * object (`__subclasses__`, `__globals__`), a module's or a class's namespace
 * through `__dict__`, `__builtins__`, changes to an imported module's
 * attributes, and getattr/setattr/delattr with a name the analysis cannot
 * read, on a module or a control-system object.
 */
import { escapeAttributes } from '../python-api.ts';
import { positionalArguments, type Value } from '../resolver.ts';
import { defineRuleFamily, rule } from '../rule-family.ts';
import { shown } from '../node-text.ts';
import type { Scope } from '../scopes.ts';
import type { SyntaxNode } from '../syntax-node.ts';

export const introspectionRules = {
  'escape.introspection': rule('blocking', 'reaches interpreter internals (globals(), vars(), __builtins__, __subclasses__, sys.modules...)'),
  'escape.module_mutation': rule('blocking', 'changes an attribute of a module (setattr or assignment)'),
  'resolution.dynamic_attribute': rule('blocking', 'getattr/setattr/delattr with a computed name on a module or a control-system object'),
};

const attributeBuiltins: ReadonlySet<string> = new Set(['builtins.getattr', 'builtins.setattr', 'builtins.delattr', 'builtins.hasattr']);

export const introspectionFamily = defineRuleFamily('introspection', introspectionRules, ({ resolver, model, report }) => {
  const isControlObject = (value: Value) => (value.kind === 'instance' || value.kind === 'member') && model.classOf(value.of) !== undefined;
  /** `getattr(obj, name)` and its kin: what a computed name may reach, and what a literal one changes. */
  const attributeBuiltin = (name: string, node: SyntaxNode, scope: Scope) => {
    const [objectNode, nameNode] = positionalArguments(node.child('arguments'));
    if (objectNode === undefined || nameNode === undefined) return;
    const objects = resolver.resolve(objectNode, scope);
    const attribute = resolver.staticText(nameNode);
    if (attribute?.complete !== true) {
      const opaque = objects.find((v) => v.kind === 'ref' || v.kind === 'unknown' || isControlObject(v));
      if (opaque !== undefined) {
        const what = opaque.kind === 'ref' ? opaque.qname : opaque.kind === 'unknown' ? `${shown(objectNode)} (${opaque.why})` : 'a control-system object';
        report('resolution.dynamic_attribute', `${name}() with a computed attribute name on ${what}: the analyzer cannot tell what it reaches`, node);
      }
      return;
    }
    if (name !== 'setattr' && name !== 'delattr') return;
    for (const value of objects) {
      if (value.kind === 'ref') report('escape.module_mutation', `${name}() changes ${value.qname}.${attribute.value}, an attribute of an imported module or class`, node);
    }
  };
  return {
    unboundNames: ['__builtins__'],
    matters: (name) => name === '__builtins__',
    attribute(node, object, name, scope) {
      if (escapeAttributes.has(name)) report('escape.introspection', `uses .${name}, which reaches into interpreter internals`, node);
      // a module's or a class's namespace (a class from outside or defined here, `type(pv)`, `pv.__class__`)
      if (name === '__dict__' && resolver.resolve(object, scope).some((v) => v.kind === 'ref' || v.kind === 'local')) {
        report('escape.introspection', `reads the namespace of ${shown(object)} through __dict__`, node);
      }
    },
    read(node) {
      if (node.type === 'identifier' && node.text === '__builtins__') report('escape.introspection', 'uses __builtins__, which reaches every built-in function', node);
    },
    stored(node, object, name) {
      if (object.kind === 'ref') report('escape.module_mutation', `changes ${object.qname}.${name}, an attribute of an imported module or class`, node);
    },
    call(node, _value, qname, scope) {
      if (attributeBuiltins.has(qname)) attributeBuiltin(qname.slice('builtins.'.length), node, scope);
      return false;
    },
  };
});
