/**
 * What the rules look at, selected from the wasm tree by one tree-sitter
 * query: a single call returns the scopes, the statements that bind names,
 * imports, calls and attributes, where copying the tree would
 * cost several wasm calls per node. Everything else is read on demand from
 * the selected nodes. Identifiers are too many to select for the few that
 * matter: see name-occurrences.ts. Each list is in source order.
 */
import { Query, type Language, type QueryCapture, type Tree } from 'web-tree-sitter';
import { SyntaxTree, type SyntaxNode } from './syntax-node.ts';

export type ScopeKind = 'function' | 'class' | 'comprehension';

export interface ScopeOpener {
  kind: ScopeKind;
  node: SyntaxNode;
  /** Where the new scope begins: the body (defaults, bases and decorators belong to the enclosing scope). */
  body: SyntaxNode;
}

export interface Selection {
  scopes: ScopeOpener[];
  /** Statements and definitions that bind names (imports, assignments, loops, `with`, `except`, `global`, ...). */
  bindings: SyntaxNode[];
  imports: SyntaxNode[];
  calls: SyntaxNode[];
  attributes: SyntaxNode[];
  /** Expressions in the `function` position of a call. */
  callees: Set<SyntaxNode>;
  /** Expressions in the `object` position of an attribute (`epics` in `epics.caput`). */
  chainObjects: Set<SyntaxNode>;
  /** Targets of assignments, loops and `del`, before unpacking tuples. */
  storeRoots: SyntaxNode[];
  /** Values of assignments and named expressions, before looking into `a if c else b`. */
  aliasRoots: SyntaxNode[];
}

/**
 * One pattern per line. The capture of the node a pattern is about is named
 * after its type, so reading the type costs no wasm call; the captures of
 * its children are named after their grammar field (`store` alone: a target
 * of `+=` or `del`).
 *
 * `required` follows a field the grammar requires (tree-sitter-python's
 * node-types.json). In a tree without syntax errors such a field is always
 * there, so it is required there too: optional captures keep more match
 * states alive in tree-sitter and cost about a tenth of the query's time. In
 * a tree with errors it is optional, so every node of a listed type is
 * reported.
 */
function patterns(required: '' | '?'): string {
  return `
(function_definition name: (_)${required} @name parameters: (_)${required} @parameters body: (_) @body) @function_definition
(lambda parameters: (_)? @parameters body: (_) @body) @lambda
(class_definition name: (_)${required} @name superclasses: (_)? @superclasses body: (_) @body) @class_definition
(list_comprehension) @list_comprehension
(set_comprehension) @set_comprehension
(dictionary_comprehension) @dictionary_comprehension
(generator_expression) @generator_expression
(import_statement) @import_statement
(import_from_statement module_name: (_)${required} @module_name) @import_from_statement
(global_statement) @global_statement
(except_clause) @except_clause
(with_item value: (_)${required} @value) @with_item
(named_expression name: (_)${required} @name value: (_)${required} @value) @named_expression
(for_statement left: (_)${required} @left right: (_)${required} @right) @for_statement
(for_in_clause left: (_)${required} @left right: (_)${required} @right) @for_in_clause
(assignment left: (_) @left right: (_)? @right) @assignment
(augmented_assignment left: (_) @store)
(delete_statement (_) @store)
(call function: (_) @function) @call
(attribute object: (_) @object attribute: (identifier)) @attribute
`;
}

const plainPatterns = patterns('');
const tolerantPatterns = patterns('?');

/** Only run on trees with errors: most code parses, and every pattern costs. */
const errorPatterns = `
(ERROR) @ERROR
(MISSING) @missing
`;

/** Captures of children, by grammar field; every other capture is named after the type of the node a pattern is about. */
const childFields: ReadonlySet<string> = new Set(['name', 'parameters', 'body', 'superclasses', 'module_name', 'value', 'left', 'right', 'function', 'object']);
/** Child captures that stand where only an expression can, so their type may be read from their text. */
const expressionFields: ReadonlySet<string> = new Set(['value', 'left', 'right', 'function', 'object']);

const compiled = new Map<string, { language: Language; query: Query }>();

function query(language: Language, source: string): Query {
  let entry = compiled.get(source);
  if (entry?.language !== language) {
    entry = { language, query: new Query(language, source) };
    compiled.set(source, entry);
  }
  return entry.query;
}

function emptySelection(): Selection {
  return {
    scopes: [],
    bindings: [],
    imports: [],
    calls: [],
    attributes: [],
    callees: new Set(),
    chainObjects: new Set(),
    storeRoots: [],
    aliasRoots: [],
  };
}

const bySource = (a: SyntaxNode, b: SyntaxNode) => a.start - b.start;

/** Files `node` (whose type its capture told) in the lists it belongs to. */
function classify(selection: Selection, node: SyntaxNode): void {
  switch (node.type) {
    case 'function_definition':
    case 'class_definition':
    case 'lambda': {
      const body = node.child('body');
      if (body === undefined) return;
      selection.scopes.push({ kind: node.type === 'class_definition' ? 'class' : 'function', node, body });
      if (node.type !== 'lambda') selection.bindings.push(node);
      return;
    }
    case 'list_comprehension':
    case 'set_comprehension':
    case 'dictionary_comprehension':
    case 'generator_expression':
      selection.scopes.push({ kind: 'comprehension', node, body: node });
      return;
    case 'import_statement':
    case 'import_from_statement':
      selection.imports.push(node);
      selection.bindings.push(node);
      return;
    case 'call':
      selection.calls.push(node);
      return;
    case 'attribute':
      selection.attributes.push(node);
      return;
    default:
      selection.bindings.push(node);
  }
}

/** What a child capture adds besides its field: the roles node-roles.ts reads. */
function addChild(selection: Selection, parent: SyntaxNode, field: string, child: SyntaxNode): void {
  switch (field) {
    case 'function':
      selection.callees.add(child);
      return;
    case 'object':
      selection.chainObjects.add(child);
      return;
    case 'left':
      selection.storeRoots.push(child);
      return;
    case 'right':
      if (parent.type === 'assignment') selection.aliasRoots.push(child);
      return;
    case 'value':
      if (parent.type === 'named_expression') selection.aliasRoots.push(child);
  }
}

/** The capture of the node a pattern is about (the others are its children). */
function ownerOf(captures: readonly QueryCapture[]): QueryCapture | undefined {
  for (const capture of captures) if (!childFields.has(capture.name)) return capture;
  return undefined;
}

export function select(tree: Tree, syntax: SyntaxTree): Selection {
  const selection = emptySelection();
  for (const { captures } of query(tree.language, syntax.plain ? plainPatterns : tolerantPatterns).matches(tree.rootNode)) {
    const owner = ownerOf(captures);
    if (owner === undefined) continue;
    if (owner.name === 'store') {
      const target = syntax.node(owner.node);
      target.knowExpression();
      selection.storeRoots.push(target);
      continue;
    }
    const node = syntax.node(owner.node, owner.name);
    for (const capture of captures) {
      if (capture === owner) continue;
      // the `name` of a definition or of `:=` is an identifier
      const child = syntax.node(capture.node, capture.name === 'name' ? 'identifier' : undefined);
      if (expressionFields.has(capture.name)) child.knowExpression();
      node.knowChild(capture.name, child);
      addChild(selection, node, capture.name, child);
    }
    classify(selection, node);
  }
  // matches come in the order the query finishes them: put each list back in source order
  for (const list of [selection.bindings, selection.imports, selection.calls, selection.attributes]) {
    list.sort(bySource);
  }
  selection.scopes.sort((a, b) => a.body.start - b.body.start || b.node.end - a.node.end);
  return selection;
}

/** ERROR and missing nodes, in source order. */
export function selectErrors(tree: Tree, syntax: SyntaxTree): SyntaxNode[] {
  return query(tree.language, errorPatterns)
    .captures(tree.rootNode)
    .map((capture) => syntax.node(capture.node, capture.name === 'ERROR' ? 'ERROR' : undefined))
    .sort(bySource);
}
