/**
 * Second part of the analysis: takes the imports, calls, attributes and
 * identifiers the selection query found, each with the scope it is in,
 * resolves them, and records findings and control-system accesses.
 * Severities, line excerpts and policy are applied later; this part only says
 * what the code does, and where.
 */
import { ControlAccesses, type RawAccess } from './control-access.ts';
import type { ControlModel } from './control/index.ts';
import { EscapeChecks } from './escapes.ts';
import { occurrences, words } from './name-occurrences.ts';
import { NodeRoles } from './node-roles.ts';
import type { PatternMatcher } from './patterns.ts';
import { escapeAttributes, familyOf, fileOpeners, isKnownSafeNamespace, pathDeleteMethods, pathWriteMethods } from './python-api.ts';
import { attributeName, keywordArgument, mayBindOutsideValue, positionalArguments, qnameOf, Resolver, type StaticText, type Value } from './resolver.ts';
import { builtinNames } from './python-names.ts';
import type { RuleId } from './rules.ts';
import type { Scope, ScopeTree } from './scopes.ts';
import type { Selection } from './selection.ts';
import type { SyntaxNode, SyntaxTree } from './syntax-node.ts';

/** Offsets are into the code (UTF-16 code units): the syntax tree is gone by the time they are turned into lines. */
export interface RawFinding {
  rule: RuleId;
  message: string;
  /** null: the finding is about the whole file. */
  index: number | null;
}

export type { RawAccess } from './control-access.ts';

export interface Inspection {
  findings: RawFinding[];
  accesses: RawAccess[];
}

const familyWords: Partial<Record<RuleId, string>> = {
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

type PathLocation = 'inside' | 'outside' | 'unknown';

function classifyPath(text: StaticText | null): PathLocation {
  if (text === null) return 'unknown';
  const value = text.value;
  if (/^([/\\~]|[A-Za-z]:)/.test(value) || value.split(/[/\\]/).includes('..')) return 'outside';
  return text.complete ? 'inside' : 'unknown';
}

function worstLocation(locations: PathLocation[]): PathLocation {
  if (locations.includes('outside')) return 'outside';
  return locations.includes('unknown') ? 'unknown' : 'inside';
}

/** Built-in names that matter where nothing in the file rebinds them (`eval`, `globals`, ...). */
const builtinsThatMatter = [...builtinNames].filter((name) => familyOf(`builtins.${name}`) !== null);

class Inspector {
  readonly findings: RawFinding[] = [];
  readonly controls: ControlAccesses;
  readonly escapes: EscapeChecks;
  private readonly resolver: Resolver;
  private readonly roles: NodeRoles;
  /** The same few qualified names come up again and again (`builtins.print`, `numpy.asarray`). */
  private readonly families = new Map<string, RuleId | null>();
  private readonly matters = new Map<string, boolean>();

  constructor(
    private readonly syntax: SyntaxTree,
    private readonly selection: Selection,
    private readonly scopes: ScopeTree,
    private readonly patterns: PatternMatcher,
    private readonly model: ControlModel,
  ) {
    this.roles = new NodeRoles(selection);
    this.resolver = new Resolver(syntax.plain, model);
    const report = (rule: RuleId, message: string, node: SyntaxNode) => this.report(rule, message, node);
    this.controls = new ControlAccesses(this.resolver, model, report);
    this.escapes = new EscapeChecks(this.resolver, model, this.controls, report);
  }

  private isControlObject(value: Value): boolean {
    return (value.kind === 'instance' || value.kind === 'member') && this.model.classOf(value.of) !== undefined;
  }

  private familyOf(qname: string): RuleId | null {
    let rule = this.families.get(qname);
    if (rule === undefined) {
      rule = familyOf(qname);
      this.families.set(qname, rule);
    }
    return rule;
  }

  /** Whether `reference` can report anything about a name with these values (most names: no). */
  private mayMatter(values: readonly Value[]): boolean {
    return values.some((value) => {
      const qname = qnameOf(value);
      if (qname !== null && this.qnameMatters(qname)) return true;
      return value.kind === 'member' && this.model.classOf(value.of) !== undefined;
    });
  }

  private qnameMatters(qname: string): boolean {
    let matters = this.matters.get(qname);
    if (matters === undefined) {
      matters = this.familyOf(qname) !== null || this.model.mayMatter(qname);
      this.matters.set(qname, matters);
    }
    return matters;
  }

  short(node: SyntaxNode): string {
    const text = node.text.replace(/\s+/g, ' ');
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  }

  report(rule: RuleId, message: string, node: SyntaxNode | null): void {
    // `builtins.eval` reads as `eval` to a person
    this.findings.push({ rule, message: message.replace(/\bbuiltins\.(?=\w)/g, ''), index: node?.start ?? null });
  }

  /** Every selected node, in source order, outer before inner. */
  inspectAll(): void {
    const { imports, calls, attributes } = this.selection;
    const nodes = [...imports, ...calls, ...attributes, ...this.identifiersThatMayMatter()].sort((a, b) => a.start - b.start);
    for (const node of nodes) {
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
  }

  /** Identifiers whose name may matter where they stand; the others are never looked up in the tree. */
  private identifiersThatMayMatter(): SyntaxNode[] {
    const code = this.syntax.code;
    // after `from m import *` any name may come from m
    const candidates = this.scopes.module.stars.length > 0 ? words(code) : occurrences(code, this.namesThatMayMatter());
    const found: SyntaxNode[] = [];
    for (const word of candidates) {
      if (word.name !== '__builtins__' && !this.mayMatter(this.resolver.lookup(word.name, this.scopes.scopeAt(word)))) continue;
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
    const names = new Set(['__builtins__', ...builtinsThatMatter, ...this.model.injectedNamesList]);
    for (const scope of this.scopes.all) {
      for (const [name, bindings] of scope.bindings) {
        // only `ref` and `member` values may matter: most names are never resolved
        const resolvable = scope.globals.has(name) || bindings.some(mayBindOutsideValue);
        if (resolvable && this.mayMatter(this.resolver.lookup(name, scope))) names.add(name);
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
      this.escapes.importedModule(item.type === 'wildcard_import' || module === null ? qname : module, item);
      const rule = this.familyOf(qname);
      if (rule !== null) this.report(rule, `imports ${qname}, ${familyWords[rule] ?? ''}`.trim(), item);
      this.reportNative(this.model.normalize(qname), 'imports', item);
    }
  }

  /** `epics.ca.libca`: the C library of a client, called without the client's checks. */
  private reportNative(qname: string, verb: string, node: SyntaxNode): void {
    if (this.model.isNative(qname)) this.report('native.code', `${verb} ${qname}, native code of a control-system client that blocks and bypasses what the analysis can see`, node);
  }

  private identifier(node: SyntaxNode, scope: Scope): void {
    const name = node.text;
    const builtins = name === '__builtins__';
    if (this.roles.isCallee(node) || this.roles.isChainObject(node)) {
      if (builtins) this.reportBuiltins(node);
      return;
    }
    const values = this.resolver.lookup(name, scope);
    if ((!builtins && !this.mayMatter(values)) || this.roles.isDeclaration(node)) return;
    if (builtins) this.reportBuiltins(node);
    this.reference(node, values);
  }

  private reportBuiltins(node: SyntaxNode): void {
    this.report('escape.introspection', 'uses __builtins__, which reaches every built-in function', node);
  }

  private attribute(node: SyntaxNode, scope: Scope): void {
    const objectNode = node.child('object');
    const name = attributeName(node);
    if (objectNode === undefined || name === undefined) return;
    if (escapeAttributes.has(name)) this.report('escape.introspection', `uses .${name}, which reaches into interpreter internals`, node);
    // a module's or a class's namespace (a class from outside or defined here, `type(pv)`, `pv.__class__`)
    if (name === '__dict__' && this.resolver.resolve(objectNode, scope).some((v) => v.kind === 'ref' || v.kind === 'local')) {
      this.report('escape.introspection', `reads the namespace of ${this.short(objectNode)} through __dict__`, node);
    }
    if (this.roles.isStoreTarget(node)) return this.store(node, objectNode, name, scope);
    const values = this.resolver.resolve(node, scope);
    const called = this.roles.isCallee(node);
    if (called || this.roles.isChainObject(node)) {
      for (const value of values) this.controls.attributeRead(value, node, called);
      return;
    }
    this.reference(node, values);
  }

  /** A name or attribute read as a value (not called): `map(caput, ...)`, `os.environ["X"]`. */
  /**
   * A function, method or module read as a value (`map(caput, ...)`,
   * `w = ca.put`, `os.environ["X"]`): it counts where it is read, since the
   * analysis cannot follow every place it ends up being called from.
   */
  private reference(node: SyntaxNode, values: Value[]): void {
    for (const value of values) {
      const qname = qnameOf(value);
      if (qname === null) continue;
      const rule = this.familyOf(qname);
      if (rule !== null) this.report(rule, `uses ${qname}, ${familyWords[rule] ?? ''}`.trim(), node);
      this.reportNative(qname, 'uses', node);
      this.controls.passedAsValue(value, qname, node);
      this.controls.attributeRead(value, node, false);
    }
  }

  private store(node: SyntaxNode, objectNode: SyntaxNode, name: string, scope: Scope): void {
    const objects = this.resolver.resolve(objectNode, scope);
    let assigned: SyntaxNode | null | undefined;
    for (const value of objects) {
      if (value.kind === 'ref') {
        this.report('escape.module_mutation', `changes ${value.qname}.${name}, an attribute of an imported module or class`, node);
      } else if (this.isControlObject(value)) {
        // the assigned value is only looked up for control objects: one wasm call for the parent
        assigned ??= this.assignedValue(node);
        this.controls.attributeStore(value, name, assigned ?? undefined, node, scope);
      }
    }
  }

  /** The right side of `target = value` for a plain assignment, else null (`+=`, `del`, unpacking). */
  private assignedValue(target: SyntaxNode): SyntaxNode | null {
    const parent = target.parent;
    if (parent?.type !== 'assignment' || parent.child('left') !== target) return null;
    return parent.child('right') ?? null;
  }

  private call(node: SyntaxNode, scope: Scope): void {
    const callee = node.child('function');
    if (callee === undefined) return;
    const values = this.resolver.resolve(callee, scope);
    let unplaced = false;
    for (const value of values) {
      if (!this.classifyCall(node, value, scope)) unplaced = true;
    }
    if (unplaced) this.matchPatterns(node, callee, values, scope);
  }

  /** Reports what a call does; false when the callee is neither known nor in a known-safe namespace. */
  private classifyCall(node: SyntaxNode, value: Value, scope: Scope): boolean {
    if (value.kind === 'unknown') return false;
    if (value.kind === 'instance') return isKnownSafeNamespace(value.of);
    const qname = qnameOf(value);
    if (qname === null) return true;
    let known = isKnownSafeNamespace(qname);
    const rule = this.familyOf(qname);
    if (rule !== null) {
      this.report(rule, `calls ${qname}, ${familyWords[rule] ?? ''}`.trim(), node);
      known = true;
    }
    if (qname === 'builtins.getattr' || qname === 'builtins.setattr' || qname === 'builtins.delattr' || qname === 'builtins.hasattr') {
      this.attributeBuiltin(qname.slice('builtins.'.length), node, scope);
    }
    const opener = fileOpeners.get(qname);
    if (opener !== undefined) this.fileOpen(qname, node, opener.modeIndex, null, scope);
    this.escapes.call(qname, node, scope);
    if (this.model.isNative(qname)) {
      this.reportNative(qname, 'calls', node);
      known = true;
    }
    if (this.controls.functionCall(qname, node, scope)) known = true;
    if (value.kind === 'member') known = this.memberCall(node, value, scope) || known;
    if (value.kind === 'ref') known = this.controls.unboundMethodCall(qname, node) || known;
    return known;
  }

  private memberCall(node: SyntaxNode, value: Extract<Value, { kind: 'member' }>, scope: Scope): boolean {
    if (value.of === 'pathlib.Path') {
      this.pathMethod(node, value, scope);
      return true;
    }
    return this.controls.methodCall(value, node, scope);
  }

  private attributeBuiltin(name: string, node: SyntaxNode, scope: Scope): void {
    const [objectNode, nameNode] = positionalArguments(node.child('arguments'));
    if (objectNode === undefined || nameNode === undefined) return;
    const objects = this.resolver.resolve(objectNode, scope);
    const attribute = this.resolver.staticText(nameNode);
    if (attribute?.complete !== true) {
      const opaque = objects.find((v) => v.kind === 'ref' || v.kind === 'unknown' || this.isControlObject(v));
      if (opaque !== undefined) {
        const what = opaque.kind === 'ref' ? opaque.qname : opaque.kind === 'unknown' ? `${this.short(objectNode)} (${opaque.why})` : 'a control-system object';
        this.report('resolution.dynamic_attribute', `${name}() with a computed attribute name on ${what}: the analyzer cannot tell what it reaches`, node);
      }
      return;
    }
    for (const value of objects) {
      if ((name === 'setattr' || name === 'delattr') && value.kind === 'ref') {
        this.report('escape.module_mutation', `${name}() changes ${value.qname}.${attribute.value}, an attribute of an imported module or class`, node);
      }
      if (name === 'setattr') this.controls.attributeStore(value, attribute.value, positionalArguments(node.child('arguments'))[2], node, scope);
    }
  }

  private fileOpen(qname: string, node: SyntaxNode, modeIndex: number, path: Array<StaticText | null> | null, scope: Scope): void {
    const args = node.child('arguments');
    const positional = positionalArguments(args);
    const modeNode = positional[modeIndex] ?? keywordArgument(args, qname === 'os.open' ? 'flags' : 'mode');
    const writing = this.opensForWriting(qname, modeNode);
    if (writing === 'no') return;
    let paths = path;
    if (paths === null) {
      const pathNode = positional[0] ?? keywordArgument(args, qname === 'os.open' ? 'path' : 'file');
      paths = pathNode === undefined ? [null] : this.resolver.stringValues(pathNode, scope);
    }
    for (const text of paths) this.escapes.fileWritten(text, node);
    const location = worstLocation(paths.map(classifyPath));
    const how = writing === 'yes' ? 'for writing' : 'with a mode computed at run time';
    if (location === 'outside') {
      this.report('file.write_outside', `opens a file outside the execution folder ${how} (${this.short(node)})`, node);
    } else if (location === 'unknown') {
      this.report('file.write_unresolved', `opens a file whose path is computed at run time ${how} (${this.short(node)})`, node);
    }
  }

  private opensForWriting(qname: string, modeNode: SyntaxNode | undefined): 'yes' | 'no' | 'maybe' {
    if (modeNode === undefined) return 'no';
    if (qname === 'os.open') {
      const flags = modeNode.text;
      if (/O_(WRONLY|RDWR|CREAT|APPEND|TRUNC)/.test(flags)) return 'yes';
      return /^\s*(os\.)?O_RDONLY\s*$/.test(flags) ? 'no' : 'maybe';
    }
    const mode = this.resolver.staticText(modeNode);
    if (mode?.complete !== true) return 'maybe';
    return /[wax+]/.test(mode.value) ? 'yes' : 'no';
  }

  private pathMethod(node: SyntaxNode, value: Extract<Value, { kind: 'member' }>, scope: Scope): void {
    if (value.name === 'open') return this.fileOpen('builtins.open', node, 0, [value.text ?? { value: '', complete: false }], scope);
    const deletes = pathDeleteMethods.has(value.name);
    if (!deletes && !pathWriteMethods.has(value.name)) return;
    if (!deletes) this.escapes.fileWritten(value.text, node);
    const location = classifyPath(value.text);
    const verb = deletes ? 'deletes' : 'writes';
    if (location === 'outside') {
      this.report(deletes ? 'file.delete' : 'file.write_outside', `${verb} ${JSON.stringify(value.text?.value ?? '')}..., outside the execution folder (Path.${value.name})`, node);
    } else if (location === 'unknown') {
      this.report('file.write_unresolved', `${verb} a path computed at run time (Path.${value.name}: ${this.short(node)})`, node);
    }
  }

  private matchPatterns(node: SyntaxNode, callee: SyntaxNode, values: Value[], scope: Scope): void {
    const written = callee.text.replace(/\s+/g, '');
    const candidates = [`${written}(`, ...values.map(qnameOf).filter((q): q is string => q !== null).map((q) => `${q}(`)];
    const match = this.patterns.match(candidates);
    if (match === null) return;
    const unknown = values.find((v): v is Extract<Value, { kind: 'unknown' }> => v.kind === 'unknown');
    const why = unknown === undefined ? `${written} is not a name the analyzer knows` : `the analyzer could not resolve ${written}: ${unknown.why}`;
    const [first] = positionalArguments(node.child('arguments'));
    const names = first === undefined ? [] : this.resolver.stringValues(first, scope).map((text) => (text?.complete === true ? text.value : null));
    this.controls.patternAccess(match.access, names.length > 0 ? names : [null], written, node, scope);
    this.report(
      match.access === 'write' ? 'control.pattern_write' : 'control.pattern_read',
      `${this.short(node)} matches the configured ${match.access} pattern /${match.pattern}/ and ${why}; it is treated as a control-system ${match.access}`,
      node,
    );
  }
}

export function inspect(syntax: SyntaxTree, selection: Selection, scopes: ScopeTree, patterns: PatternMatcher, model: ControlModel): Inspection {
  const inspector = new Inspector(syntax, selection, scopes, patterns, model);
  inspector.inspectAll();
  inspector.escapes.finish();
  if (!scopes.module.bindings.has('results')) {
    inspector.report('results.not_assigned', 'the code never assigns the `results` dict, so the execution will return no results', null);
  }
  return { findings: inspector.findings, accesses: inspector.controls.accesses };
}
