/**
 * Control-system accesses, from the library tables (control/): a call of a
 * modelled function or method, an attribute read or assignment on a control
 * object, or a function or method handed on as a value (which counts where it
 * is handed on: the analysis cannot follow every place it is called from).
 * Each access names its PVs and, for a write, the literal value it sets.
 */
import type { LiteralValue } from '../../protocol/internal.ts';
import type { Access, CallSpec, ControlModel } from './control/index.ts';
import { LiteralValues } from './literal-values.ts';
import { truncated } from './node-text.ts';
import { argument, positionalArguments, type Resolver, type StaticText, type Value } from './resolver.ts';
import type { RuleId } from './rules.ts';
import type { Scope } from './scopes.ts';
import type { SyntaxNode } from './syntax-node.ts';

export type { Access };

/** Offsets are into the code: the syntax tree is gone by the time they become lines. */
export interface RawAccess {
  access: Access;
  pv: string | null;
  function: string;
  index: number;
  library?: string;
  /** For writes: the literal value, or null when computed. */
  value?: LiteralValue | null;
}

export type Report = (rule: RuleId, message: string, node: SyntaxNode) => void;

interface Target {
  pv: string | null;
  value: LiteralValue | null;
}

type Member = Extract<Value, { kind: 'member' }>;
type ControlObject = Extract<Value, { kind: 'instance' | 'member' }>;

const sequenceTypes = new Set(['list', 'tuple']);

function complete(text: StaticText | null | undefined): string | null {
  return text?.complete === true ? text.value : null;
}

function join(self: string | null, name: string | null, separator: string): string | null {
  return self === null || name === null ? null : `${self}${separator}${name}`;
}

/** The items of a list or tuple literal, or the node itself. */
function items(node: SyntaxNode | undefined): SyntaxNode[] {
  if (node === undefined) return [];
  if (node.type === 'parenthesized_expression' && node.children.length === 1) return items(node.children[0]);
  return sequenceTypes.has(node.type) ? node.children : [node];
}

function describeValue(value: LiteralValue | null): string {
  if (value === null) return '';
  return ` = ${truncated(JSON.stringify(value), 40)}`;
}

export class ControlAccesses {
  readonly accesses: RawAccess[] = [];
  private readonly literals: LiteralValues;

  constructor(
    private readonly resolver: Resolver,
    private readonly model: ControlModel,
    private readonly report: Report,
  ) {
    this.literals = new LiteralValues(resolver);
  }

  /** A call of a modelled module-level function (`epics.caput("A", 1)`); false when `qname` is not one. */
  functionCall(qname: string, node: SyntaxNode, scope: Scope): boolean {
    const modelled = this.model.function(qname);
    if (modelled === undefined) return false;
    const call = modelled.spec.call;
    if (call !== undefined) this.record(call, this.targets(call, node, scope, null, qname), qname, modelled.library, node);
    return true;
  }

  /** A method called on a control object (`pv.put(1)`); false when the object's class is not modelled. */
  methodCall(value: Member, node: SyntaxNode, scope: Scope): boolean {
    if (this.model.classOf(value.of) === undefined) return false;
    const method = this.model.method(value.of, value.name);
    const call = method?.method.call;
    if (method !== undefined && call !== undefined) {
      const targets = this.targets(call, node, scope, this.objectPv(value, call.access), value.name);
      this.record(call, targets, `${value.of}.${value.name}`, method.library, node);
    }
    return true;
  }

  /** `epics.PV.put(pv, 1)`: a method called through its class, on an object the analysis does not follow. */
  unboundMethodCall(qname: string, node: SyntaxNode): boolean {
    const found = this.model.unboundMethod(qname);
    if (found === undefined) return this.model.classOf(qname.slice(0, qname.lastIndexOf('.'))) !== undefined;
    const call = found.call.method.call;
    if (call !== undefined) this.record(call, [{ pv: null, value: null }], qname, found.call.library, node);
    return true;
  }

  /** A function or method read as a value (`map(caput, ...)`, `w = pv.put`): every call through it is an access. */
  passedAsValue(value: Value, qname: string, node: SyntaxNode): void {
    const fn = this.model.function(qname);
    let found: { call: CallSpec; library: string; pv: string | null } | undefined;
    if (fn?.spec.call !== undefined) found = { call: fn.spec.call, library: fn.library, pv: null };
    else if (value.kind === 'member') {
      const method = this.model.method(value.of, value.name);
      if (method?.method.call !== undefined && !method.other) {
        const { call } = method.method;
        found = { call, library: method.library, pv: call.pv.kind === 'self' ? this.objectPv(value, call.access) : null };
      }
    } else if (value.kind === 'ref') {
      const method = this.model.unboundMethod(qname)?.call;
      if (method?.method.call !== undefined && !method.other) found = { call: method.method.call, library: method.library, pv: null };
    }
    if (found === undefined) return;
    const { access } = found.call;
    const why = `passes ${qname} as a value; every call through it counts as a control-system ${access}`;
    this.record(found.call, [{ pv: found.pv, value: null }], qname, found.library, node, why);
  }

  /** An attribute of a control object read as a value (`pv.value`, `proxy.voltage`). */
  attributeRead(value: Value, node: SyntaxNode, called: boolean): void {
    if (value.kind !== 'member' || value.name.startsWith('_')) return;
    const modelled = this.model.classOf(value.of);
    if (modelled === undefined) return;
    const cls = modelled.spec;
    const reads = cls.readAttributes;
    if (reads === undefined) return;
    if (reads === 'any') {
      // a called attribute is a method or a command, not an attribute read
      if (called || cls.methods[value.name] !== undefined || cls.plain?.includes(value.name) === true) return;
    } else if (!reads.includes(value.name)) return;
    const self = this.objectPv(value, 'read');
    const pv = cls.attributeJoin === undefined ? self : join(self, value.name, cls.attributeJoin);
    this.add('read', pv, undefined, `${value.of}.${value.name}`, modelled.library, node);
    this.report('control.read', `reads ${pv === null ? 'a PV whose name is computed at run time' : `"${pv}"`} (${value.of}.${value.name})`, node);
  }

  /** `pv.value = 1`, `proxy.voltage = 3`, `setattr(pv, "value", 1)`: true when it writes. */
  attributeStore(object: Value, name: string, valueNode: SyntaxNode | undefined, node: SyntaxNode, scope: Scope): boolean {
    if (object.kind !== 'instance') return false;
    const modelled = this.model.classOf(object.of);
    const writes = modelled?.spec.writeAttributes;
    if (modelled === undefined || writes === undefined || (writes !== 'any' && !writes.includes(name))) return false;
    const separator = modelled.spec.attributeJoin;
    const self = this.objectPv(object, 'write');
    const pv = separator === undefined ? self : join(self, name, separator);
    const value = valueNode === undefined ? null : this.literals.of(valueNode, scope);
    const call: CallSpec = { access: 'write', pv: { kind: 'none' } };
    this.record(call, [{ pv, value }], `${object.of}.${name} =`, modelled.library, node);
    return true;
  }

  /** A write or read the configured patterns matched (a call the analysis could not resolve). */
  patternAccess(access: Access, pvs: Array<string | null>, written: string, node: SyntaxNode, scope: Scope): void {
    const args = node.child('arguments');
    const valueNode = access === 'write' ? positionalArguments(args)[1] : undefined;
    const value = valueNode === undefined ? null : this.literals.of(valueNode, scope);
    for (const pv of pvs) this.add(access, pv, access === 'write' ? value : undefined, written, undefined, node);
  }

  /**
   * A write reached through a method name held in a string
   * (`operator.methodcaller("put", 5)`): which object's method, and so which
   * argument is the value, is not known, so it names neither.
   */
  indirectWrite(written: string, node: SyntaxNode): void {
    this.add('write', null, null, written, undefined, node);
  }

  /**
   * The PV an access through a control object reaches, when its name is a
   * literal: a write goes to the PV its constructor named for writes, if it
   * named one; a read to its name plus its class's read suffix; anything
   * else to its name.
   */
  private objectPv(object: ControlObject, access: Access): string | null {
    if (access === 'write' && object.writeText !== undefined) return complete(object.writeText);
    const suffix = access === 'read' ? this.model.classOf(object.of)?.spec.readSuffix : undefined;
    return suffix === undefined ? complete(object.text) : join(complete(object.text), suffix, '');
  }

  private record(call: CallSpec, targets: Target[], fn: string, library: string, node: SyntaxNode, explanation?: string): void {
    const { access } = call;
    for (const target of targets) this.add(access, target.pv, access === 'write' ? target.value : undefined, fn, library, node);
    const named = targets.filter((t) => t.pv !== null);
    const verb = access === 'write' ? 'writes' : 'reads';
    const described = named.map((t) => `"${t.pv}"${access === 'write' ? describeValue(t.value) : ''}`).join(', ');
    const what =
      named.length > 0
        ? `${verb} ${described}${named.length < targets.length ? ' and a PV named at run time' : ''}`
        : `${verb} a PV whose name is computed at run time`;
    const note = call.note === undefined ? '' : `: ${call.note}`;
    this.report(access === 'write' ? 'control.write' : 'control.read', explanation ?? `${what} (${fn}${note})`, node);
  }

  private add(access: Access, pv: string | null, value: LiteralValue | null | undefined, fn: string, library: string | undefined, node: SyntaxNode): void {
    const entry: RawAccess = { access, pv, function: fn, index: node.start };
    if (library !== undefined) entry.library = library;
    if (access === 'write') entry.value = value ?? null;
    this.accesses.push(entry);
  }

  /** The PVs a call names, each with the literal value a write sets. */
  private targets(call: CallSpec, node: SyntaxNode, scope: Scope, self: string | null, method: string): Target[] {
    const spec = call.pv;
    const valueNode = call.value === undefined ? undefined : argument(node, call.value);
    const literal = (value: SyntaxNode | undefined) => (value === undefined ? null : this.literals.of(value, scope));
    switch (spec.kind) {
      case 'none':
        return [{ pv: null, value: literal(valueNode) }];
      case 'self':
        return [{ pv: self, value: literal(valueNode) }];
      case 'self+name':
        return [{ pv: join(self, method, spec.join), value: literal(valueNode) }];
      case 'arg':
      case 'self+arg': {
        const names = items(argument(node, spec.arg)).map((item) => this.names(item, scope));
        const values = items(valueNode);
        // `caput_many(["A", "B"], [1, 2])`: one value per name
        const pairwise = names.length > 1 && valueNode !== undefined && sequenceTypes.has(valueNode.type) && values.length === names.length;
        const targets = names.flatMap((pvs, i) =>
          pvs.map((pv) => ({
            pv: spec.kind === 'arg' ? pv : join(self, pv, spec.join),
            value: pairwise ? literal(values[i]) : literal(valueNode),
          })),
        );
        return targets.length > 0 ? targets : [{ pv: null, value: literal(valueNode) }];
      }
      case 'keys':
        return this.keyed(argument(node, spec.arg), scope);
      case 'pairs': {
        const args = positionalArguments(node.child('arguments'));
        const targets: Target[] = [];
        for (let i = 0; i < args.length; i += 2) targets.push({ pv: this.objectName(args[i], call.access, scope), value: literal(args[i + 1]) });
        return targets.length > 0 ? targets : [{ pv: null, value: null }];
      }
      case 'objects': {
        const objects = items(argument(node, spec.arg));
        const targets = objects.map((object) => ({ pv: this.objectName(object, call.access, scope), value: literal(valueNode) }));
        return targets.length > 0 ? targets : [{ pv: null, value: literal(valueNode) }];
      }
      case 'self+tuples': {
        const pairs = items(argument(node, spec.arg)).map((pair) => (pair.type === 'tuple' || pair.type === 'list' ? pair.children : []));
        const targets = pairs.map(([name, value]) => ({
          pv: join(self, name === undefined ? null : (this.names(name, scope)[0] ?? null), spec.join),
          value: literal(value),
        }));
        return targets.length > 0 ? targets : [{ pv: null, value: null }];
      }
    }
  }

  /** The PV names an expression may hold (a literal, a name bound to literals, a loop variable over a list). */
  private names(node: SyntaxNode, scope: Scope): Array<string | null> {
    const names = this.resolver.stringValues(node, scope).map(complete);
    return names.length > 0 ? names : [null];
  }

  /** `{"A": 1, "B": 2}` (or a list of such dicts): each key a PV, each value what is written to it. */
  private keyed(node: SyntaxNode | undefined, scope: Scope): Target[] {
    const targets: Target[] = [];
    for (const dict of items(node)) {
      if (dict.type !== 'dictionary') {
        targets.push({ pv: null, value: null });
        continue;
      }
      for (const pair of dict.children) {
        const key = pair.type === 'pair' ? pair.child('key') : undefined;
        const value = pair.type === 'pair' ? pair.child('value') : undefined;
        const pvs = key === undefined ? [null] : this.names(key, scope);
        for (const pv of pvs) targets.push({ pv, value: value === undefined ? null : this.literals.of(value, scope) });
      }
    }
    return targets.length > 0 ? targets : [{ pv: null, value: null }];
  }

  /** The PV of a control object passed as an argument (`bps.mv(motor, 1)`), when its name is a literal. */
  private objectName(node: SyntaxNode | undefined, access: Access, scope: Scope): string | null {
    if (node === undefined) return null;
    const names = new Set(
      this.resolver.resolve(node, scope).map((value) => (value.kind === 'instance' && this.model.classOf(value.of) !== undefined ? this.objectPv(value, access) : null)),
    );
    return names.size === 1 ? ([...names][0] ?? null) : null;
  }
}

