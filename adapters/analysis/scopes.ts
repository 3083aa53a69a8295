/**
 * First pass of the analysis: the scopes of the file and every name binding
 * in them (imports, assignments, loop targets, `with ... as`, definitions,
 * star imports, `global`). Bindings are collected flow-insensitively: a name
 * may hold any of the values bound to it anywhere in its scope, which is what
 * a safety check needs (`f = print; ...; f = epics.caput` must count as a
 * write wherever `f` is called, including from a function defined earlier).
 */
import type { SyntaxNode } from './parser.ts';

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
  /** The scope a function, lambda, class or comprehension node opens. */
  readonly scopeOf: ReadonlyMap<SyntaxNode, Scope>;
}

const comprehensionTypes = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);
const sequenceTypes = new Set(['tuple', 'list', 'expression_list', 'pattern_list', 'tuple_pattern', 'list_pattern']);

export function child(node: SyntaxNode, field: string): SyntaxNode | undefined {
  return node.children.find((c) => c.field === field);
}

export function namedChildren(node: SyntaxNode): SyntaxNode[] {
  return node.children.filter((c) => c.named && c.type !== 'comment');
}

function newScope(kind: Scope['kind'], parent: Scope | null): Scope {
  return { kind, parent, bindings: new Map(), globals: new Set(), stars: [] };
}

function moduleScopeOf(scope: Scope): Scope {
  let current = scope;
  while (current.parent !== null) current = current.parent;
  return current;
}

class ScopeCollector {
  readonly scopeOf = new Map<SyntaxNode, Scope>();

  constructor(private readonly code: string) {}

  text(node: SyntaxNode): string {
    return this.code.slice(node.start, node.end);
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
      this.bind(scope, this.text(target), binding);
      return;
    }
    if (target.type === 'parenthesized_expression' || target.type === 'as_pattern_target') {
      for (const inner of namedChildren(target)) this.bindTarget(inner, value, how, scope);
      return;
    }
    if (sequenceTypes.has(target.type)) {
      const targets = namedChildren(target);
      const values = how === 'expr' && value !== null && sequenceTypes.has(value.type) ? namedChildren(value) : null;
      const pairwise = values !== null && values.length === targets.length && !values.some((v) => v.type === 'list_splat');
      targets.forEach((inner, index) => {
        if (pairwise) this.bindTarget(inner, values[index] ?? null, 'expr', scope);
        else this.bindTarget(inner, how === 'expr' ? value : null, 'element', scope);
      });
      return;
    }
    if (target.type === 'list_splat_pattern') {
      for (const inner of namedChildren(target)) this.bindTarget(inner, null, how, scope);
    }
    // attributes and subscripts bind no name; the inspector checks them as stores
  }

  collect(node: SyntaxNode, scope: Scope): void {
    switch (node.type) {
      case 'import_statement':
        return this.importStatement(node, scope);
      case 'import_from_statement':
        return this.importFrom(node, scope);
      case 'global_statement':
        for (const name of namedChildren(node)) scope.globals.add(this.text(name));
        return;
      case 'function_definition':
      case 'lambda':
        return this.functionLike(node, scope);
      case 'class_definition':
        return this.classDefinition(node, scope);
      case 'assignment':
        this.assignment(node, scope);
        break;
      case 'named_expression': {
        const name = child(node, 'name');
        const value = child(node, 'value');
        if (name !== undefined && value !== undefined) this.bindTarget(name, value, 'expr', scope);
        break;
      }
      case 'for_statement':
      case 'for_in_clause': {
        const left = child(node, 'left');
        const right = child(node, 'right');
        if (left !== undefined) this.bindTarget(left, right ?? null, 'element', scope);
        break;
      }
      case 'with_item':
        this.withItem(node, scope);
        break;
      case 'except_clause':
        for (const pattern of node.children.filter((c) => c.type === 'as_pattern')) {
          const alias = child(pattern, 'alias');
          if (alias !== undefined) this.bindTarget(alias, null, 'expr', scope);
        }
        break;
      default:
        if (comprehensionTypes.has(node.type)) {
          const inner = newScope('comprehension', scope);
          this.scopeOf.set(node, inner);
          for (const c of node.children) this.collect(c, inner);
          return;
        }
    }
    for (const c of node.children) this.collect(c, scope);
  }

  importStatement(node: SyntaxNode, scope: Scope): void {
    for (const item of namedChildren(node)) {
      if (item.type === 'dotted_name') {
        // `import a.b.c` binds `a`
        const first = item.children[0];
        if (first !== undefined) this.bind(scope, this.text(first), { kind: 'import', qname: this.text(first) });
      } else if (item.type === 'aliased_import') {
        const name = child(item, 'name');
        const alias = child(item, 'alias');
        if (name !== undefined && alias !== undefined) this.bind(scope, this.text(alias), { kind: 'import', qname: this.text(name) });
      }
    }
  }

  importFrom(node: SyntaxNode, scope: Scope): void {
    const moduleNode = child(node, 'module_name');
    if (moduleNode === undefined) return;
    const relative = moduleNode.type === 'relative_import';
    const module = this.text(moduleNode).replace(/\s+/g, '');
    for (const item of node.children) {
      if (item === moduleNode) continue;
      if (item.type === 'wildcard_import') {
        if (!relative) scope.stars.push(module);
        continue;
      }
      const nameNode = item.type === 'aliased_import' ? child(item, 'name') : item.type === 'dotted_name' ? item : undefined;
      if (nameNode === undefined) continue;
      const localNode = item.type === 'aliased_import' ? child(item, 'alias') : nameNode;
      if (localNode === undefined) continue;
      const binding: Binding = relative
        ? { kind: 'opaque', why: `imported from the relative module ${module}` }
        : { kind: 'import', qname: `${module}.${this.text(nameNode)}` };
      this.bind(scope, this.text(localNode), binding);
    }
  }

  functionLike(node: SyntaxNode, scope: Scope): void {
    const name = child(node, 'name');
    if (name !== undefined) this.bind(scope, this.text(name), { kind: 'definition', name: this.text(name) });
    const inner = newScope('function', scope);
    this.scopeOf.set(node, inner);
    const parameters = child(node, 'parameters');
    if (parameters !== undefined) {
      for (const parameter of namedChildren(parameters)) {
        const paramName = parameter.type === 'identifier' ? parameter : (child(parameter, 'name') ?? namedChildren(parameter)[0]);
        if (paramName?.type === 'identifier') this.bind(inner, this.text(paramName), { kind: 'opaque', why: 'a function parameter' });
        // default values are evaluated in the enclosing scope
        const value = child(parameter, 'value');
        if (value !== undefined) this.collect(value, scope);
      }
    }
    for (const c of node.children) if (c !== parameters && c !== name) this.collect(c, inner);
  }

  classDefinition(node: SyntaxNode, scope: Scope): void {
    const name = child(node, 'name');
    const superclasses = child(node, 'superclasses');
    const bases = superclasses === undefined ? [] : namedChildren(superclasses).filter((c) => c.type !== 'keyword_argument');
    if (name !== undefined) this.bind(scope, this.text(name), { kind: 'class', name: this.text(name), bases, scope });
    if (superclasses !== undefined) this.collect(superclasses, scope);
    const inner = newScope('class', scope);
    this.scopeOf.set(node, inner);
    const body = child(node, 'body');
    if (body !== undefined) this.collect(body, inner);
  }

  assignment(node: SyntaxNode, scope: Scope): void {
    const left = child(node, 'left');
    let value = child(node, 'right');
    // `a = b = v`: the inner assignment binds `b`; `a` gets `v`
    while (value?.type === 'assignment') value = child(value, 'right');
    if (left !== undefined && value !== undefined) this.bindTarget(left, value, 'expr', scope);
  }

  withItem(node: SyntaxNode, scope: Scope): void {
    const value = child(node, 'value');
    if (value?.type !== 'as_pattern') return;
    const alias = child(value, 'alias');
    const expression = value.children.find((c) => c.field === null && c.named);
    if (alias !== undefined) this.bindTarget(alias, expression ?? null, 'expr', scope);
  }
}

export function collectScopes(root: SyntaxNode, code: string): ScopeTree {
  const module = newScope('module', null);
  const collector = new ScopeCollector(code);
  collector.collect(root, module);
  return { module, scopeOf: collector.scopeOf };
}
