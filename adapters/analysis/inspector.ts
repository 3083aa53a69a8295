/**
 * Second part of the analysis: takes the imports, calls, attributes and
 * identifiers the selection query found, each with the scope it is in,
 * resolves them, and records findings and control-system accesses.
 * Severities, line excerpts and policy are applied later; this part only says
 * what the code does, and where.
 */
import { occurrences, words } from './name-occurrences.ts';
import { NodeRoles } from './node-roles.ts';
import type { PatternMatcher } from './patterns.ts';
import {
  controlClasses,
  controlFunctions,
  escapeAttributes,
  familyOf,
  fileOpeners,
  isKnownSafeNamespace,
  pathDeleteMethods,
  pathWriteMethods,
  type Access,
  type ControlFunction,
} from './python-api.ts';
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

export interface RawAccess {
  access: Access;
  pv: string | null;
  function: string;
  index: number;
}

export interface Inspection {
  findings: RawFinding[];
  accesses: RawAccess[];
}

const familyWords: Partial<Record<RuleId, string>> = {
  'process.execution': 'which starts other programs',
  'dynamic.code': 'which runs code built at run time',
  'native.code': 'which loads native machine code',
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

function isControlInstance(value: Value): boolean {
  return (value.kind === 'instance' || value.kind === 'member') && controlClasses.has(value.of);
}

/** Whether `reference` reports anything about a qualified name, given its rule family. */
const qnameMatters = (qname: string, family: RuleId | null): boolean => family !== null || controlFunctions.has(qname);

/** Built-in names that matter where nothing in the file rebinds them (`eval`, `globals`, ...). */
const builtinsThatMatter = [...builtinNames].filter((name) => qnameMatters(`builtins.${name}`, familyOf(`builtins.${name}`)));

class Inspector {
  readonly findings: RawFinding[] = [];
  readonly accesses: RawAccess[] = [];
  private readonly resolver: Resolver;
  private readonly roles: NodeRoles;
  /** The same few qualified names come up again and again (`builtins.print`, `numpy.asarray`). */
  private readonly families = new Map<string, RuleId | null>();

  constructor(
    private readonly syntax: SyntaxTree,
    private readonly selection: Selection,
    private readonly scopes: ScopeTree,
    private readonly patterns: PatternMatcher,
  ) {
    this.roles = new NodeRoles(selection);
    this.resolver = new Resolver(syntax.plain);
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
      if (qname !== null && qnameMatters(qname, this.familyOf(qname))) return true;
      return value.kind === 'member' && controlClasses.has(value.of);
    });
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
    const names = new Set(['__builtins__', ...builtinsThatMatter]);
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
      const rule = this.familyOf(qname);
      if (rule !== null) this.report(rule, `imports ${qname}, ${familyWords[rule] ?? ''}`.trim(), item);
    }
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
    if (name === '__dict__' && this.resolver.resolve(objectNode, scope).some((v) => v.kind === 'ref')) {
      this.report('escape.introspection', `reads the namespace of ${this.short(objectNode)} through __dict__`, node);
    }
    if (this.roles.isStoreTarget(node)) return this.store(node, objectNode, name, scope);
    const values = this.resolver.resolve(node, scope);
    if (this.roles.isCallee(node) || this.roles.isChainObject(node)) {
      for (const value of values) this.controlAttributeRead(node, value);
      return;
    }
    this.reference(node, values);
  }

  /** A name or attribute read as a value (not called): `map(caput, ...)`, `os.environ["X"]`. */
  private reference(node: SyntaxNode, values: Value[]): void {
    const alias = this.roles.isAliasSource(node);
    for (const value of values) {
      const qname = qnameOf(value);
      if (qname === null) continue;
      const rule = this.familyOf(qname);
      if (rule !== null) this.report(rule, `uses ${qname}, ${familyWords[rule] ?? ''}`.trim(), node);
      if (alias) continue;
      const fn = controlFunctions.get(qname);
      if (fn !== undefined) {
        this.access(fn.access, [null], qname, node, `passes ${qname} as a value; every call through it counts as a control-system ${fn.access}`);
      }
      this.controlAttributeRead(node, value);
      this.controlMethodValue(node, value);
    }
  }

  private controlAttributeRead(node: SyntaxNode, value: Value): void {
    if (value.kind !== 'member') return;
    const cls = controlClasses.get(value.of);
    if (cls === undefined || !cls.readAttributes.has(value.name)) return;
    this.access('read', [this.pvOfInstance(value.text)], `${value.of}.${value.name}`, node);
  }

  /** `callbacks.append(pv.put)`: a bound write method handed on. */
  private controlMethodValue(node: SyntaxNode, value: Value): void {
    if (value.kind !== 'member') return;
    const cls = controlClasses.get(value.of);
    if (cls === undefined) return;
    const access = cls.writes.has(value.name) ? 'write' : cls.reads.has(value.name) ? 'read' : null;
    if (access === null) return;
    const pv = cls.pvFromInstance ? this.pvOfInstance(value.text) : null;
    this.access(access, [pv], `${value.of}.${value.name}`, node, `passes ${value.of}.${value.name} as a value; calls through it count as ${access}s`);
  }

  private pvOfInstance(text: StaticText | null): string | null {
    return text?.complete === true ? text.value : null;
  }

  private store(node: SyntaxNode, objectNode: SyntaxNode, name: string, scope: Scope): void {
    for (const value of this.resolver.resolve(objectNode, scope)) {
      if (value.kind === 'ref') {
        this.report('escape.module_mutation', `changes ${value.qname}.${name}, an attribute of an imported module or class`, node);
      } else if (isControlInstance(value) && value.kind === 'instance' && controlClasses.get(value.of)?.pvFromInstance === true) {
        this.access('write', [this.pvOfInstance(value.text)], `${value.of}.${name} =`, node);
      }
    }
  }

  private access(access: Access, pvs: Array<string | null>, fn: string, node: SyntaxNode, explanation?: string): void {
    for (const pv of pvs) this.accesses.push({ access, pv, function: fn, index: node.start });
    const named = pvs.filter((pv): pv is string => pv !== null);
    const verb = access === 'write' ? 'writes' : 'reads';
    const what =
      named.length > 0
        ? `${verb} ${named.map((pv) => `"${pv}"`).join(', ')}${named.length < pvs.length ? ' and a PV named at run time' : ''}`
        : `${verb} a PV whose name is computed at run time`;
    this.report(access === 'write' ? 'control.write' : 'control.read', explanation ?? `${what} (${fn})`, node);
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
    const fn = controlFunctions.get(qname);
    if (fn !== undefined) {
      this.access(fn.access, this.pvArguments(fn.pvArg, node, scope), qname, node);
      known = true;
    }
    if (value.kind === 'member') known = this.memberCall(node, value, scope) || known;
    if (value.kind === 'ref') known = this.unboundControlMethod(node, qname) || known;
    return known;
  }

  private memberCall(node: SyntaxNode, value: Extract<Value, { kind: 'member' }>, scope: Scope): boolean {
    if (value.of === 'pathlib.Path') {
      this.pathMethod(node, value, scope);
      return true;
    }
    const cls = controlClasses.get(value.of);
    if (cls === undefined) return false;
    const access = cls.writes.has(value.name) ? 'write' : cls.reads.has(value.name) ? 'read' : null;
    if (access !== null) {
      const pvs = cls.pvFromInstance
        ? [this.pvOfInstance(value.text)]
        : this.pvArguments({ index: 0, keyword: 'name', many: true }, node, scope);
      this.access(access, pvs, `${value.of}.${value.name}`, node);
    }
    return true;
  }

  /** `epics.PV.put(pv, 1)`: a control method called through its class. */
  private unboundControlMethod(node: SyntaxNode, qname: string): boolean {
    const dot = qname.lastIndexOf('.');
    const cls = controlClasses.get(qname.slice(0, dot));
    if (cls === undefined) return false;
    const method = qname.slice(dot + 1);
    const access = cls.writes.has(method) ? 'write' : cls.reads.has(method) ? 'read' : null;
    if (access !== null) this.access(access, [null], qname, node);
    return true;
  }

  /** The PV names a call passes (`call` is the call node; its arguments are only read here and below, when they matter). */
  private pvArguments(spec: ControlFunction['pvArg'], call: SyntaxNode, scope: Scope): Array<string | null> {
    if (spec === null) return [null];
    const args = call.child('arguments');
    const arg = positionalArguments(args)[spec.index] ?? keywordArgument(args, spec.keyword);
    if (arg === undefined) return [null];
    const items = spec.many && (arg.type === 'list' || arg.type === 'tuple') ? arg.children : [arg];
    const pvs = items.flatMap((item) => this.resolver.stringValues(item, scope)).map((text) => (text?.complete === true ? text.value : null));
    return pvs.length > 0 ? pvs : [null];
  }

  private attributeBuiltin(name: string, node: SyntaxNode, scope: Scope): void {
    const [objectNode, nameNode] = positionalArguments(node.child('arguments'));
    if (objectNode === undefined || nameNode === undefined) return;
    const objects = this.resolver.resolve(objectNode, scope);
    const attribute = this.resolver.staticText(nameNode);
    if (attribute?.complete !== true) {
      const opaque = objects.find((v) => v.kind === 'ref' || v.kind === 'unknown' || isControlInstance(v));
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
      if (name === 'setattr' && value.kind === 'instance' && controlClasses.get(value.of)?.pvFromInstance === true) {
        this.access('write', [this.pvOfInstance(value.text)], `${value.of}.${attribute.value} =`, node);
      }
    }
  }

  private fileOpen(qname: string, node: SyntaxNode, modeIndex: number, path: StaticText[] | null, scope: Scope): void {
    const args = node.child('arguments');
    const positional = positionalArguments(args);
    const modeNode = positional[modeIndex] ?? keywordArgument(args, qname === 'os.open' ? 'flags' : 'mode');
    const writing = this.opensForWriting(qname, modeNode);
    if (writing === 'no') return;
    let locations: PathLocation[];
    if (path !== null) locations = path.map((text) => classifyPath(text));
    else {
      const pathNode = positional[0] ?? keywordArgument(args, qname === 'os.open' ? 'path' : 'file');
      locations = pathNode === undefined ? ['unknown'] : this.resolver.stringValues(pathNode, scope).map(classifyPath);
    }
    const location = worstLocation(locations);
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
    const pvs = this.pvArguments({ index: 0, keyword: 'pvname', many: false }, node, scope);
    for (const pv of pvs) this.accesses.push({ access: match.access, pv, function: written, index: node.start });
    this.report(
      match.access === 'write' ? 'control.pattern_write' : 'control.pattern_read',
      `${this.short(node)} matches the configured ${match.access} pattern /${match.pattern}/ and ${why}; it is treated as a control-system ${match.access}`,
      node,
    );
  }
}

export function inspect(syntax: SyntaxTree, selection: Selection, scopes: ScopeTree, patterns: PatternMatcher): Inspection {
  const inspector = new Inspector(syntax, selection, scopes, patterns);
  inspector.inspectAll();
  if (!scopes.module.bindings.has('results')) {
    inspector.report('results.not_assigned', 'the code never assigns the `results` dict, so the execution will return no results', null);
  }
  return { findings: inspector.findings, accesses: inspector.accesses };
}
