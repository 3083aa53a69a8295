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

/** One pattern per line; the first capture of a match says what it is. */
const patterns = `
(function_definition body: (_) @function.body) @function
(lambda body: (_) @function.body) @lambda
(class_definition body: (_) @class.body) @class
[(list_comprehension) (set_comprehension) (dictionary_comprehension) (generator_expression)] @comprehension
[(import_statement) (import_from_statement)] @import
[(global_statement) (named_expression) (for_statement) (for_in_clause) (with_item) (except_clause)] @binding
(assignment left: (_) @store right: (_)? @alias) @assignment
(named_expression value: (_) @alias)
[(augmented_assignment left: (_) @store) (for_statement left: (_) @store) (for_in_clause left: (_) @store) (delete_statement (_) @store)]
(call function: (_) @callee) @call
(attribute object: (_) @object attribute: (identifier)) @attribute
`;

/** Only run on trees with errors: most code parses, and every pattern costs. */
const errorPatterns = `
(ERROR) @ERROR
(MISSING) @missing
`;

/** Captures that tell the node's type, so reading it costs no wasm call. */
const capturedTypes: ReadonlyMap<string, string> = new Map([
  ['function', 'function_definition'],
  ['lambda', 'lambda'],
  ['class', 'class_definition'],
  ['assignment', 'assignment'],
  ['call', 'call'],
  ['attribute', 'attribute'],
  ['ERROR', 'ERROR'],
]);

const capturedNode = (syntax: SyntaxTree, capture: QueryCapture) => syntax.node(capture.node, capturedTypes.get(capture.name));

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

function childOf(parent: SyntaxNode, field: string, child: SyntaxNode): SyntaxNode {
  parent.knowChild(field, child);
  return child;
}

export function select(tree: Tree, syntax: SyntaxTree): Selection {
  const selection = emptySelection();
  const node = (capture: QueryCapture) => capturedNode(syntax, capture);
  for (const match of query(tree.language, patterns).matches(tree.rootNode)) {
    // the node a pattern is about comes first, then the children it names, if any
    const [first, second, third] = match.captures;
    if (first === undefined) continue;
    switch (first.name) {
      case 'function':
      case 'lambda':
      case 'class':
        if (second !== undefined) {
          const opener = node(first);
          selection.scopes.push({ kind: first.name === 'class' ? 'class' : 'function', node: opener, body: node(second) });
          if (first.name !== 'lambda') selection.bindings.push(opener);
        }
        break;
      case 'comprehension': {
        const opener = node(first);
        selection.scopes.push({ kind: 'comprehension', node: opener, body: opener });
        break;
      }
      case 'import':
        selection.imports.push(node(first));
        selection.bindings.push(node(first));
        break;
      case 'binding':
        selection.bindings.push(node(first));
        break;
      case 'assignment':
        selection.bindings.push(node(first));
        if (second !== undefined) selection.storeRoots.push(childOf(node(first), 'left', node(second)));
        if (third !== undefined) selection.aliasRoots.push(childOf(node(first), 'right', node(third)));
        break;
      case 'store':
        selection.storeRoots.push(node(first));
        break;
      case 'alias':
        selection.aliasRoots.push(node(first));
        break;
      case 'call':
        selection.calls.push(node(first));
        if (second !== undefined) selection.callees.add(childOf(node(first), 'function', node(second)));
        break;
      case 'attribute':
        selection.attributes.push(node(first));
        if (second !== undefined) selection.chainObjects.add(childOf(node(first), 'object', node(second)));
        break;
    }
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
    .map((capture) => capturedNode(syntax, capture))
    .sort(bySource);
}
