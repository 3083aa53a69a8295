/**
 * First part of the analysis: the scopes of the file and every name binding
 * in them (imports, assignments, loop targets, `with ... as`, definitions,
 * star imports, `global`). Bindings are collected flow-insensitively: a name
 * may hold any of the values bound to it anywhere in its scope, which is what
 * a safety check needs (`f = print; ...; f = epics.caput` must count as a
 * write wherever `f` is called, including from a function defined earlier).
 * Which scope a node is in follows from its position: a scope covers the body
 * of its function, lambda or class, or the whole comprehension.
 */
import type { ScopeOpener, Selection } from './selection.ts';
import { ScopeRegions, type Span } from './scope-regions.ts';
import type { SyntaxNode } from './syntax-node.ts';

/** How a name got its value; resolved lazily by the resolver. */
export type Binding =
  | { kind: 'import'; qname: string }
  | { kind: 'expr'; node: SyntaxNode; scope: Scope }
  | { kind: 'element'; node: SyntaxNode; scope: Scope }
  | { kind: 'definition'; name: string }
  | { kind: 'class'; name: string; bases: SyntaxNode[]; scope: Scope }
  | { kind: 'opaque'; why: string };

export interface Scope {
  readonly kind: 'module' | 'function' | 'class' | 'comprehension';
  readonly parent: Scope | null;
  readonly bindings: Map<string, Binding[]>;
  readonly globals: Set<string>;
  /** Modules imported with `from m import *` (module scope only in valid Python). */
  readonly stars: string[];
}

export interface ScopeTree {
  readonly module: Scope;
  /** Every scope of the file, the module's first. */
  readonly all: readonly Scope[];
  /** The innermost scope a node is in (a definition itself is in the scope around it). */
  scopeAt(node: Span): Scope;
}

const sequenceTypes = new Set(['tuple', 'list', 'expression_list', 'pattern_list', 'tuple_pattern', 'list_pattern']);

function newScope(kind: Scope['kind'], parent: Scope | null): Scope {
  return { kind, parent, bindings: new Map(), globals: new Set(), stars: [] };
}

function moduleScopeOf(scope: Scope): Scope {
  let current = scope;
  while (current.parent !== null) current = current.parent;
  return current;
}


class ScopeCollector {
  readonly module = newScope('module', null);
  readonly all: Scope[] = [this.module];
  /** The scope each function, lambda, class or comprehension opens. */
  private readonly opened = new Map<SyntaxNode, Scope>();
  readonly regions: ScopeRegions<Scope>;

  constructor(openers: readonly ScopeOpener[]) {
    this.regions = new ScopeRegions(openers, this.module, (opener, around) => {
      const scope = newScope(opener.kind, around);
      this.opened.set(opener.node, scope);
      this.all.push(scope);
      return scope;
    });
  }

  bind(scope: Scope, name: string, binding: Binding): void {
    const target = scope.globals.has(name) ? moduleScopeOf(scope) : scope;
    const list = target.bindings.get(name);
    if (list === undefined) target.bindings.set(name, [binding]);
    else list.push(binding);
  }

  /** Binds every name in an assignment target to (an element of) `value`. */
  bindTarget(target: SyntaxNode, value: SyntaxNode | null, how: 'expr' | 'element', scope: Scope): void {
    if (target.type === 'identifier') {
      const binding: Binding = value === null ? { kind: 'opaque', why: 'bound without a value the analyzer can follow' } : { kind: how, node: value, scope };
      this.bind(scope, target.text, binding);
      return;
    }
    if (target.type === 'parenthesized_expression' || target.type === 'as_pattern_target') {
      for (const inner of target.children) this.bindTarget(inner, value, how, scope);
      return;
    }
    if (sequenceTypes.has(target.type)) {
      const targets = target.children;
      const values = how === 'expr' && value !== null && sequenceTypes.has(value.type) ? value.children : null;
      const pairwise = values !== null && values.length === targets.length && !values.some((v) => v.type === 'list_splat');
      targets.forEach((inner, index) => {
        if (pairwise) this.bindTarget(inner, values[index] ?? null, 'expr', scope);
        else this.bindTarget(inner, how === 'expr' ? value : null, 'element', scope);
      });
      return;
    }
    if (target.type === 'list_splat_pattern') {
      for (const inner of target.children) this.bindTarget(inner, null, how, scope);
    }
    // attributes and subscripts bind no name; the inspector checks them as stores
  }

  collect(node: SyntaxNode): void {
    const scope = this.regions.scopeAt(node);
    switch (node.type) {
      case 'import_statement':
        return this.importStatement(node, scope);
      case 'import_from_statement':
        return this.importFrom(node, scope);
      case 'global_statement':
        for (const name of node.children) scope.globals.add(name.text);
        return;
      case 'function_definition':
        return this.functionDefinition(node, scope);
      case 'class_definition':
        return this.classDefinition(node, scope);
      case 'assignment':
        return this.assignment(node, scope);
      case 'named_expression': {
        const name = node.child('name');
        const value = node.child('value');
        if (name !== undefined && value !== undefined) this.bindTarget(name, value, 'expr', scope);
        return;
      }
      case 'for_statement':
      case 'for_in_clause': {
        const left = node.child('left');
        if (left !== undefined) this.bindTarget(left, node.child('right') ?? null, 'element', scope);
        return;
      }
      case 'with_item':
        return this.withItem(node, scope);
      case 'except_clause':
        for (const pattern of node.children.filter((c) => c.type === 'as_pattern')) {
          const alias = pattern.child('alias');
          if (alias !== undefined) this.bindTarget(alias, null, 'expr', scope);
        }
    }
  }

  /** Parameters of every function and lambda, in the scope the function opens. */
  bindParameters(opener: ScopeOpener): void {
    const inner = this.opened.get(opener.node);
    const parameters = opener.kind === 'function' ? opener.node.child('parameters') : undefined;
    if (inner === undefined || parameters === undefined) return;
    for (const parameter of parameters.children) {
      const name = parameter.type === 'identifier' ? parameter : (parameter.child('name') ?? parameter.children[0]);
      if (name?.type === 'identifier') this.bind(inner, name.text, { kind: 'opaque', why: 'a function parameter' });
    }
  }

  importStatement(node: SyntaxNode, scope: Scope): void {
    for (const item of node.children) {
      if (item.type === 'dotted_name') {
        // `import a.b.c` binds `a`
        const first = item.children[0];
        if (first !== undefined) this.bind(scope, first.text, { kind: 'import', qname: first.text });
      } else if (item.type === 'aliased_import') {
        const name = item.child('name');
        const alias = item.child('alias');
        if (name !== undefined && alias !== undefined) this.bind(scope, alias.text, { kind: 'import', qname: name.text });
      }
    }
  }

  importFrom(node: SyntaxNode, scope: Scope): void {
    const moduleNode = node.child('module_name');
    if (moduleNode === undefined) return;
    const relative = moduleNode.type === 'relative_import';
    const module = moduleNode.text.replace(/\s+/g, '');
    for (const item of node.children) {
      if (item === moduleNode) continue;
      if (item.type === 'wildcard_import') {
        if (!relative) scope.stars.push(module);
        continue;
      }
      const nameNode = item.type === 'aliased_import' ? item.child('name') : item.type === 'dotted_name' ? item : undefined;
      if (nameNode === undefined) continue;
      const localNode = item.type === 'aliased_import' ? item.child('alias') : nameNode;
      if (localNode === undefined) continue;
      const binding: Binding = relative
        ? { kind: 'opaque', why: `imported from the relative module ${module}` }
        : { kind: 'import', qname: `${module}.${nameNode.text}` };
      this.bind(scope, localNode.text, binding);
    }
  }

  functionDefinition(node: SyntaxNode, scope: Scope): void {
    const name = node.child('name');
    if (name !== undefined) this.bind(scope, name.text, { kind: 'definition', name: name.text });
  }

  classDefinition(node: SyntaxNode, scope: Scope): void {
    const name = node.child('name');
    if (name === undefined) return;
    const superclasses = node.child('superclasses');
    const bases = superclasses === undefined ? [] : superclasses.children.filter((c) => c.type !== 'keyword_argument');
    this.bind(scope, name.text, { kind: 'class', name: name.text, bases, scope });
  }

  assignment(node: SyntaxNode, scope: Scope): void {
    const left = node.child('left');
    let value = node.child('right');
    // `a = b = v`: the inner assignment binds `b`; `a` gets `v`
    while (value?.type === 'assignment') value = value.child('right');
    if (left !== undefined && value !== undefined) this.bindTarget(left, value, 'expr', scope);
  }

  withItem(node: SyntaxNode, scope: Scope): void {
    const value = node.child('value');
    if (value?.type !== 'as_pattern') return;
    const alias = value.child('alias');
    const expression = value.children.find((c) => c !== alias);
    if (alias !== undefined) this.bindTarget(alias, expression ?? null, 'expr', scope);
  }
}

export function collectScopes(selection: Selection): ScopeTree {
  const collector = new ScopeCollector(selection.scopes);
  for (const opener of selection.scopes) collector.bindParameters(opener);
  for (const node of selection.bindings) collector.collect(node);
  return { module: collector.module, all: collector.all, scopeAt: (node) => collector.regions.scopeAt(node) };
}
