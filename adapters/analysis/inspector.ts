/**
 * Second part of the analysis: takes the imports, calls, attributes and
 * identifiers the selection query found, each with the scope it is in,
 * resolves them, and hands each to the checks of every rule family
 * (families/), which record findings and control-system accesses.
 * Severities, line excerpts and policy are applied later; this part only says
 * what the code does, and where.
 */
import { ControlAccesses, type RawAccess } from './control-access.ts';
import type { ControlModel } from './control/index.ts';
import { occurrences, words } from './name-occurrences.ts';
import { NodeRoles } from './node-roles.ts';
import type { PatternMatcher } from './patterns.ts';
import { isKnownSafeNamespace } from './python-api.ts';
import { attributeName, mayBindOutsideValue, qnameOf, Resolver, type StaticText, type Value } from './resolver.ts';
import type { FamilyChecks, InspectionContext, ReadKind, RuleFamily } from './rule-family.ts';
import type { Scope, ScopeTree } from './scopes.ts';
import type { Selection } from './selection.ts';
import type { SyntaxNode, SyntaxTree } from './syntax-node.ts';

/** Offsets are into the code (UTF-16 code units): the syntax tree is gone by the time they are turned into lines. */
export interface RawFinding {
  rule: string;
  message: string;
  /** null: the finding is about the whole file. */
  index: number | null;
}

export type { RawAccess } from './control-access.ts';

export interface Inspection {
  findings: RawFinding[];
  accesses: RawAccess[];
}

/**
 * The nodes of `lists`, each in source order already, merged into one: on a
 * tie the earlier list's node comes first (a call before the attribute and
 * the identifier it starts with), as a stable sort of the lists joined would
 * give, without sorting a thousand nodes again.
 */
function inSourceOrder(lists: ReadonlyArray<readonly SyntaxNode[]>): SyntaxNode[] {
  const merged: SyntaxNode[] = [];
  const positions = lists.map(() => 0);
  for (;;) {
    let first: SyntaxNode | undefined;
    let from = -1;
    lists.forEach((list, i) => {
      const node = list[positions[i] ?? 0];
      if (node !== undefined && (first === undefined || node.start < first.start)) [first, from] = [node, i];
    });
    if (first === undefined) return merged;
    merged.push(first);
    positions[from] = (positions[from] ?? 0) + 1;
  }
}

class Inspector {
  readonly findings: RawFinding[] = [];
  readonly controls: ControlAccesses;
  private readonly resolver: Resolver;
  private readonly roles: NodeRoles;
  /** The families that implement each hook, found once: most hooks are run for thousands of nodes. */
  private readonly hooks: { [H in keyof FamilyChecks]-?: FamilyChecks[] };

  constructor(
    private readonly syntax: SyntaxTree,
    private readonly selection: Selection,
    private readonly scopes: ScopeTree,
    patterns: PatternMatcher,
    model: ControlModel,
    families: readonly RuleFamily[],
  ) {
    this.roles = new NodeRoles(selection);
    this.resolver = new Resolver(syntax.plain, model);
    const report = (rule: string, message: string, node: SyntaxNode | null) => this.report(rule, message, node);
    this.controls = new ControlAccesses(this.resolver, model, report);
    const context: InspectionContext = {
      scopes,
      resolver: this.resolver,
      model,
      patterns,
      controls: this.controls,
      report,
      fileWritten: (path: StaticText | null, node: SyntaxNode) => {
        for (const checks of this.hooks.fileWritten) checks.fileWritten?.(path, node);
      },
    };
    const started = families.map((family) => family.start(context));
    const implementing = (hook: keyof FamilyChecks) => started.filter((checks) => checks[hook] !== undefined);
    this.hooks = {
      matters: implementing('matters'),
      unboundNames: implementing('unboundNames'),
      imported: implementing('imported'),
      attribute: implementing('attribute'),
      read: implementing('read'),
      stored: implementing('stored'),
      call: implementing('call'),
      unplacedCall: implementing('unplacedCall'),
      fileWritten: implementing('fileWritten'),
      finish: implementing('finish'),
    };
  }

  report(rule: string, message: string, node: SyntaxNode | null): void {
    // `builtins.eval` reads as `eval` to a person
    const shown = message.includes('builtins.') ? message.replace(/\bbuiltins\.(?=\w)/g, '') : message;
    this.findings.push({ rule, message: shown, index: node?.start ?? null });
  }

  /** Whether any family may report something about a name with these values (most names: no). */
  private matters(name: string, values: readonly Value[]): boolean {
    for (const checks of this.hooks.matters) if (checks.matters?.(name, values) === true) return true;
    return false;
  }

  /** Every selected node, in source order, outer before inner. */
  inspectAll(): void {
    const { imports, calls, attributes } = this.selection;
    for (const node of inSourceOrder([imports, calls, attributes, this.identifiersThatMayMatter()])) {
      const scope = this.scopes.scopeAt(node);
      switch (node.type) {
        case 'import_statement':
        case 'import_from_statement':
          this.imports(node);
          break;
        case 'call':
          this.call(node, scope);
          break;
        case 'attribute':
          this.attribute(node, scope);
          break;
        case 'identifier':
          this.identifier(node, scope);
          break;
      }
    }
    for (const checks of this.hooks.finish) checks.finish?.();
  }

  /** Identifiers whose name may matter where they stand; the others are never looked up in the tree. */
  private identifiersThatMayMatter(): SyntaxNode[] {
    const code = this.syntax.code;
    // after `from m import *` any name may come from m
    const candidates = this.scopes.module.stars.length > 0 ? words(code) : occurrences(code, this.namesThatMayMatter());
    const found: SyntaxNode[] = [];
    for (const word of candidates) {
      if (!this.matters(word.name, this.resolver.lookup(word.name, this.scopes.scopeAt(word)))) continue;
      const node = this.syntax.nodeAt(word.start, word.end, 'identifier', this.callStartingAt(word.start));
      if (node !== null) found.push(node);
    }
    return found;
  }

  /** The call starting at `start` (`caget(...)` holds the word `caget` that starts it), if any. */
  private callStartingAt(start: number): SyntaxNode | undefined {
    const calls = this.selection.calls;
    let low = 0;
    let high = calls.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const call = calls[middle] as SyntaxNode;
      if (call.start === start) return call;
      if (call.start < start) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /**
   * Without star imports, a name means what one of the scopes binding it
   * says, or else a built-in or nothing: the names that may matter somewhere
   * follow from the bindings, without reading every word of the file.
   */
  private namesThatMayMatter(): Set<string> {
    const names = new Set<string>();
    for (const checks of this.hooks.unboundNames) for (const name of checks.unboundNames ?? []) names.add(name);
    for (const scope of this.scopes.all) {
      for (const [name, bindings] of scope.bindings) {
        // only `ref` and `member` values may matter: most names are never resolved
        const resolvable = scope.globals.has(name) || bindings.some(mayBindOutsideValue);
        if (resolvable && this.matters(name, this.resolver.lookup(name, scope))) names.add(name);
      }
    }
    return names;
  }

  private imports(node: SyntaxNode): void {
    const moduleNode = node.child('module_name');
    if (moduleNode?.type === 'relative_import') return;
    const module = moduleNode === undefined ? null : moduleNode.text.replace(/\s+/g, '');
    for (const item of node.children) {
      if (item === moduleNode) continue;
      const nameNode = item.type === 'aliased_import' ? item.child('name') : item.type === 'dotted_name' ? item : undefined;
      const qname =
        item.type === 'wildcard_import' ? module : nameNode === undefined ? null : module === null ? nameNode.text : `${module}.${nameNode.text}`;
      if (qname === null) continue;
      const loaded = item.type === 'wildcard_import' || module === null ? qname : module;
      for (const checks of this.hooks.imported) checks.imported?.(qname, loaded, item);
    }
  }

  private readKind(node: SyntaxNode): ReadKind {
    if (this.roles.isCallee(node)) return 'called';
    return this.roles.isChainObject(node) ? 'chained' : 'value';
  }

  private read(node: SyntaxNode, values: readonly Value[], how: ReadKind): void {
    for (const checks of this.hooks.read) checks.read?.(node, values, how);
  }

  private identifier(node: SyntaxNode, scope: Scope): void {
    // only identifiers that matter were selected (identifiersThatMayMatter)
    const values = this.resolver.lookup(node.text, scope);
    const how = this.readKind(node);
    if (how === 'value' && this.roles.isDeclaration(node)) return;
    this.read(node, values, how);
  }

  private attribute(node: SyntaxNode, scope: Scope): void {
    const objectNode = node.child('object');
    const name = attributeName(node);
    if (objectNode === undefined || name === undefined) return;
    for (const checks of this.hooks.attribute) checks.attribute?.(node, objectNode, name, scope);
    if (this.roles.isStoreTarget(node)) {
      for (const object of this.resolver.resolve(objectNode, scope)) {
        for (const checks of this.hooks.stored) checks.stored?.(node, object, name, scope);
      }
      return;
    }
    this.read(node, this.resolver.resolve(node, scope), this.readKind(node));
  }

  private call(node: SyntaxNode, scope: Scope): void {
    const callee = node.child('function');
    if (callee === undefined) return;
    const values = this.resolver.resolve(callee, scope);
    let unplaced = false;
    for (const value of values) {
      if (!this.place(node, value, scope)) unplaced = true;
    }
    if (unplaced) for (const checks of this.hooks.unplacedCall) checks.unplacedCall?.(node, callee, values, scope);
  }

  /** Hands a call to every family; false when the callee is neither known to one nor in a known-safe namespace. */
  private place(node: SyntaxNode, value: Value, scope: Scope): boolean {
    if (value.kind === 'unknown') return false;
    if (value.kind === 'instance') return isKnownSafeNamespace(value.of);
    const qname = qnameOf(value);
    if (qname === null) return true;
    let known = isKnownSafeNamespace(qname);
    for (const checks of this.hooks.call) if (checks.call?.(node, value, qname, scope) === true) known = true;
    return known;
  }
}

export function inspect(
  syntax: SyntaxTree,
  selection: Selection,
  scopes: ScopeTree,
  patterns: PatternMatcher,
  model: ControlModel,
  families: readonly RuleFamily[],
): Inspection {
  const inspector = new Inspector(syntax, selection, scopes, patterns, model, families);
  inspector.inspectAll();
  return { findings: inspector.findings, accesses: inspector.controls.accesses };
}
