/**
 * The role a node plays where it stands: called, the object of an attribute
 * chain, the target of a store, the value of a pure alias (`f = epics.caput`),
 * or a name being declared rather than read. Most roles come from the
 * selection query (which reports each call's callee, each attribute's object,
 * each assignment's sides) and the few wrappers below them; declarations ask
 * the tree for the parent, which is kept for the rare names worth asking about.
 */
import type { Selection } from './selection.ts';
import type { SyntaxNode } from './syntax-node.ts';

/** Positions where an identifier names something being bound or declared, not read. */
const bindingParents: ReadonlyMap<string, readonly string[]> = new Map([
  ['function_definition', ['name']],
  ['class_definition', ['name']],
  ['default_parameter', ['name']],
  ['typed_default_parameter', ['name']],
  ['keyword_argument', ['name']],
  ['attribute', ['attribute']],
  ['assignment', ['left']],
  ['augmented_assignment', ['left']],
  ['named_expression', ['name']],
  ['for_statement', ['left']],
  ['for_in_clause', ['left']],
]);
const declarationParents = new Set([
  'parameters',
  'lambda_parameters',
  'typed_parameter',
  'list_splat_pattern',
  'dictionary_splat_pattern',
  'dotted_name',
  'aliased_import',
  'global_statement',
  'nonlocal_statement',
  'pattern_list',
  'tuple_pattern',
  'list_pattern',
  'as_pattern_target',
  'keyword_pattern',
  'case_pattern',
]);

/** `a.x, (b.y, c.z) = ...`: every attribute inside is stored to. */
const targetWrappers = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'parenthesized_expression', 'as_pattern_target']);
/** `f = a if c else b`, `f = a or b`: each branch is still a pure alias. */
const aliasWrappers = new Set(['conditional_expression', 'boolean_operator', 'parenthesized_expression']);

/** `roots` and everything reached from them through `wrappers`. */
function throughWrappers(roots: readonly SyntaxNode[], wrappers: ReadonlySet<string>): Set<SyntaxNode> {
  const reached = new Set<SyntaxNode>();
  const pending = [...roots];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    reached.add(node);
    if (wrappers.has(node.type)) pending.push(...node.children);
  }
  return reached;
}

export class NodeRoles {
  private readonly storeTargets: Set<SyntaxNode>;
  private readonly aliasSources: Set<SyntaxNode>;

  constructor(private readonly selection: Selection) {
    this.storeTargets = throughWrappers(selection.storeRoots, targetWrappers);
    this.aliasSources = throughWrappers(selection.aliasRoots, aliasWrappers);
  }

  isCallee(node: SyntaxNode): boolean {
    return this.selection.callees.has(node);
  }

  /** `epics` and `epics.PV("X")` in `epics.PV("X").put`. */
  isChainObject(node: SyntaxNode): boolean {
    return this.selection.chainObjects.has(node);
  }

  /** Assigned to or deleted (`pv.value = 1`, `del module.name`). */
  isStoreTarget(node: SyntaxNode): boolean {
    return this.storeTargets.has(node);
  }

  /** `x = <node>`: a pure alias, followed where the alias is used. */
  isAliasSource(node: SyntaxNode): boolean {
    return this.aliasSources.has(node);
  }

  /** An identifier that names what is being bound or declared (`def f`, `import a.b`, `f(x=1)`). */
  isDeclaration(identifier: SyntaxNode): boolean {
    const parent = identifier.parent;
    if (parent === null) return false;
    if (declarationParents.has(parent.type)) return true;
    return bindingParents.get(parent.type)?.some((field) => parent.child(field) === identifier) === true;
  }
}
