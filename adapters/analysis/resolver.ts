/**
 * Name resolution: what an expression may stand for, as a small set of
 * values. `import epics as e; f = e.caput` makes `f(...)` a call of
 * `epics.caput`; `pv = PV("X")` makes `pv.put` a member of an `epics.PV`
 * instance whose PV name is "X"; `getattr(epics, "caput")` is `epics.caput`.
 * What cannot be followed becomes an `unknown` value carrying the reason, so
 * the inspector can report it instead of passing it silently.
 */
import type { ArgRef, ClassSpec, ControlModel, ReturnSpec } from './control/index.ts';
import { builtinNames } from './python-names.ts';
import { shown } from './node-text.ts';
import { isAsciiNameChar, type SyntaxNode } from './syntax-node.ts';
import { normalizeQname } from './python-api.ts';
import { literalText } from './string-literals.ts';
import type { Binding, Scope } from './scopes.ts';

/** A string known at analysis time; `complete: false` means only its beginning is known (f-strings). */
export interface StaticText {
  value: string;
  complete: boolean;
}

export type Value =
  /** A module, function or class from outside the file: `epics.caput`. */
  | { kind: 'ref'; qname: string }
  /**
   * What calling `of` returned, with its first string argument when literal
   * (a control object: its name); `writeText`: the PV its constructor named
   * for writes (ophyd's `write_pv`), when it named one.
   */
  | { kind: 'instance'; of: string; text: StaticText | null; writeText?: StaticText | null }
  /** An attribute of an instance (a bound method, a property), with the instance's names. */
  | { kind: 'member'; of: string; name: string; text: StaticText | null; writeText?: StaticText | null }
  /** A function or class defined in the analysed code. */
  | { kind: 'local'; name: string }
  | { kind: 'unknown'; why: string };

/**
 * Instances whose first argument the analysis reads later (paths, strings;
 * control objects say where their name is in the library tables). Other
 * calls' arguments are not resolved for their result: most calls in generated
 * code are numpy, pandas and plotting, and following their arguments would
 * only cost time.
 */
const textCarriers: ReadonlySet<string> = new Set(['builtins.str', 'pathlib.Path']);

/** Enough to follow any realistic alias chain; more is a sign of a pathological file. */
const maxValues = 12;
const maxDepth = 64;

const literalTypes: Readonly<Record<string, string>> = {
  integer: 'builtins.int',
  float: 'builtins.float',
  true: 'builtins.bool',
  false: 'builtins.bool',
  none: 'builtins.NoneType',
  list: 'builtins.list',
  list_comprehension: 'builtins.list',
  dictionary: 'builtins.dict',
  dictionary_comprehension: 'builtins.dict',
  set: 'builtins.set',
  set_comprehension: 'builtins.set',
  tuple: 'builtins.tuple',
  generator_expression: 'builtins.generator',
  comparison_operator: 'builtins.bool',
  not_operator: 'builtins.bool',
};

/**
 * The expressions whose value may be a module, function or class from outside
 * the file, or a member of one (see compute): every other expression is a
 * literal, a lambda, arithmetic or something unknown.
 */
const forwardingTypes: ReadonlySet<string> = new Set([
  'identifier',
  'attribute',
  'call',
  'parenthesized_expression',
  'await',
  'named_expression',
  'conditional_expression',
  'boolean_operator',
  'subscript',
]);

/** What iterating may yield something from outside the file from (see elements). */
const iterableTypes: ReadonlySet<string> = new Set(['list', 'tuple', 'set', 'expression_list', 'parenthesized_expression', 'identifier', 'call', 'await', 'dictionary']);

/**
 * Whether a binding may give its name a `ref` or `member` value, told from
 * its kind and node type alone: parameters, definitions, literals, arithmetic
 * and elements of call results never do, so a name bound only by those needs
 * no resolving to know it is none of those.
 */
export function mayBindOutsideValue(binding: Binding): boolean {
  switch (binding.kind) {
    case 'import':
      return true;
    case 'expr':
      return forwardingTypes.has(binding.node.type);
    case 'element':
      return iterableTypes.has(binding.node.type);
    case 'class':
      return binding.bases.length > 0;
    case 'definition':
    case 'opaque':
      return false;
  }
}

const textKey = (text: StaticText | null | undefined) => (text == null ? '' : `${text.complete}:${text.value}`);

function valueKey(value: Value): string {
  switch (value.kind) {
    case 'ref':
      return `r:${value.qname}`;
    case 'instance':
      return `i:${value.of}:${textKey(value.text)}:${textKey(value.writeText)}`;
    case 'member':
      return `m:${value.of}.${value.name}:${textKey(value.text)}:${textKey(value.writeText)}`;
    case 'local':
      return `l:${value.name}`;
    case 'unknown':
      return `u:${value.why}`;
  }
}

function unique(values: Value[]): Value[] {
  if (values.length <= 1) return values;
  const seen = new Map<string, Value>();
  for (const value of values) {
    if (seen.size >= maxValues) break;
    const key = valueKey(value);
    if (!seen.has(key)) seen.set(key, value);
  }
  return [...seen.values()];
}

/** The qualified name a value calls or stands for, when it has one. */
export function qnameOf(value: Value): string | null {
  if (value.kind === 'ref') return value.qname;
  if (value.kind === 'member') return `${value.of}.${value.name}`;
  if (value.kind === 'local') return `local.${value.name}`;
  return null;
}

export function positionalArguments(args: SyntaxNode | undefined): SyntaxNode[] {
  if (args === undefined || args.type !== 'argument_list') return [];
  return args.children.filter((c) => c.type !== 'keyword_argument' && c.type !== 'list_splat' && c.type !== 'dictionary_splat');
}

/**
 * The name of an attribute node (`caput` in `epics.caput`). It ends the
 * node's text, which spares a wasm call per attribute; the tree is asked only
 * when the text does not show it plainly (a non-ASCII name, a space or a line
 * break after the dot).
 */
export function attributeName(node: SyntaxNode): string | undefined {
  const text = node.text;
  let start = text.length;
  while (start > 0 && isAsciiNameChar(text.charCodeAt(start - 1))) start--;
  if (start < text.length && text[start - 1] === '.') return text.slice(start);
  return node.child('attribute')?.text;
}

/** The argument a call passes at `ref`'s position or by its keyword. */
export function argument(call: SyntaxNode, ref: ArgRef): SyntaxNode | undefined {
  const args = call.child('arguments');
  return positionalArguments(args)[ref.index] ?? (ref.keyword === '' ? undefined : keywordArgument(args, ref.keyword));
}

/** The class of an instance: a class from outside the file, or one defined in it. */
function classOf(of: string): Value {
  return of.startsWith('local.') ? { kind: 'local', name: of.slice('local.'.length) } : { kind: 'ref', qname: of };
}

export function keywordArgument(args: SyntaxNode | undefined, keyword: string): SyntaxNode | undefined {
  if (args === undefined) return undefined;
  for (const c of args.children) {
    if (c.type !== 'keyword_argument') continue;
    const name = c.child('name');
    if (name !== undefined && name.text === keyword) return c.child('value');
  }
  return undefined;
}

export class Resolver {
  private readonly memo = new Map<Binding, Value[]>();
  private readonly active = new Set<Binding>();
  private readonly lookups = new Map<Scope, Map<string, Value[]>>();
  private readonly resolved = new Map<SyntaxNode, Value[]>();
  private depth = 0;
  /**
   * How many results were cut short so far, by a binding defined in terms of
   * itself or by the depth limit. A value computed while this did not change
   * is the same wherever it is asked for, so it is cached even when asked
   * for in the middle of resolving something else.
   */
  private cut = 0;

  /** `plain`: the tree has no syntax errors, so string literals can be read from their text (see string-literals.ts). */
  constructor(
    private readonly plain: boolean,
    private readonly model: ControlModel,
  ) {}

  private normalize(qname: string): string {
    return this.model.normalize(normalizeQname(qname));
  }

  /** The expression a name is bound to, when it is bound exactly once, to an expression (`v = 1.5`). */
  singleBinding(name: string, scope: Scope): SyntaxNode | null {
    const found = this.bindingsOf(name, scope);
    if (!('bindings' in found) || found.bindings.length !== 1) return null;
    const [binding] = found.bindings;
    return binding?.kind === 'expr' ? binding.node : null;
  }

  /** The literal text of a string expression, or its known beginning. */
  staticText(node: SyntaxNode): StaticText | null {
    if (node.type === 'parenthesized_expression') {
      const inner = node.children[0];
      return inner === undefined ? null : this.staticText(inner);
    }
    if (node.type === 'concatenated_string') {
      let value = '';
      for (const part of node.children) {
        const text = this.staticText(part);
        if (text === null) return value === '' ? null : { value, complete: false };
        value += text.value;
        if (!text.complete) return { value, complete: false };
      }
      return { value, complete: true };
    }
    if (node.type !== 'string') return null;
    const literal = this.plain ? literalText(node.text) : undefined;
    if (literal !== undefined) return literal;
    let value = '';
    for (const part of node.children) {
      if (part.type === 'interpolation') return { value, complete: false };
      if (part.type === 'string_content' || part.type === 'escape_sequence') value += part.text;
    }
    return { value, complete: true };
  }

  /** Like staticText, but also through names bound to string literals. */
  stringValues(node: SyntaxNode, scope: Scope): Array<StaticText | null> {
    const direct = this.staticText(node);
    if (direct !== null || node.type === 'string' || node.type === 'concatenated_string') return [direct];
    return this.resolve(node, scope).map((v) => (v.kind === 'instance' && v.of === 'builtins.str' ? v.text : null));
  }

  /** The bindings a name refers to from `scope`, or the module scope when it is bound nowhere. */
  private bindingsOf(name: string, scope: Scope): { bindings: Binding[] } | { module: Scope } {
    let current: Scope = scope;
    let first = true;
    for (;;) {
      // names of a class body are not visible from the functions inside it
      if (first || current.kind !== 'class') {
        const bindings = current.globals.has(name) ? undefined : current.bindings.get(name);
        if (bindings !== undefined) return { bindings };
      }
      if (current.parent === null) return { module: current };
      first = false;
      current = current.parent;
    }
  }

  /** Bindings are flow-insensitive, so a name means the same everywhere in a scope: computed once. */
  lookup(name: string, scope: Scope): Value[] {
    let names = this.lookups.get(scope);
    if (names === undefined) {
      names = new Map();
      this.lookups.set(scope, names);
    }
    const cached = names.get(name);
    if (cached !== undefined) return cached;
    const found = this.bindingsOf(name, scope);
    const cut = this.cut;
    const values = 'module' in found ? this.unbound(name, found.module) : this.valuesOfAll(found.bindings);
    // a value computed while one of its own bindings is being resolved may be partial: not cached
    if (this.cut === cut || this.active.size === 0) names.set(name, values);
    return values;
  }

  /** Most names are bound once, and one binding's values are unique already. */
  private valuesOfAll(bindings: readonly Binding[]): Value[] {
    const [only] = bindings;
    if (bindings.length === 1 && only !== undefined) return this.bindingValues(only);
    return unique(bindings.flatMap((binding) => this.bindingValues(binding)));
  }

  private unbound(name: string, module: Scope): Value[] {
    const values: Value[] = module.stars.map((star) => ({ kind: 'ref', qname: this.normalize(`${star}.${name}`) }));
    const injected = this.model.injected(name);
    if (name === '__builtins__') values.push({ kind: 'ref', qname: 'builtins' });
    else if (name === 'context') values.push({ kind: 'instance', of: 'pyexec.context', text: null });
    else if (injected !== undefined) values.push({ kind: 'ref', qname: injected });
    else if (builtinNames.has(name)) values.push({ kind: 'ref', qname: `builtins.${name}` });
    if (values.length === 0) values.push({ kind: 'unknown', why: `"${name}" is not defined in the code` });
    return values;
  }

  private bindingValues(binding: Binding): Value[] {
    const cached = this.memo.get(binding);
    if (cached !== undefined) return cached;
    if (this.active.has(binding)) {
      this.cut++;
      return [{ kind: 'unknown', why: 'defined in terms of itself' }];
    }
    this.active.add(binding);
    try {
      const values = unique(this.computeBinding(binding));
      this.memo.set(binding, values);
      return values;
    } finally {
      this.active.delete(binding);
    }
  }

  private computeBinding(binding: Binding): Value[] {
    switch (binding.kind) {
      case 'import':
        return [{ kind: 'ref', qname: this.normalize(binding.qname) }];
      case 'expr':
        return this.resolve(binding.node, binding.scope);
      case 'element':
        return this.elements(binding.node, binding.scope);
      case 'definition':
        return [{ kind: 'local', name: binding.name }];
      case 'class': {
        // a class derived from an outside class behaves like it: `class P(epics.PV)`
        const bases = binding.bases.flatMap((base) => this.resolve(base, binding.scope));
        const outside = bases.filter((base) => base.kind === 'ref' && base.qname !== 'builtins.object');
        return [{ kind: 'local', name: binding.name }, ...outside];
      }
      case 'opaque':
        return [{ kind: 'unknown', why: binding.why }];
    }
  }

  /** What iterating over `node` (or taking an item of it) may yield. */
  private elements(node: SyntaxNode, scope: Scope): Value[] {
    if (node.type === 'list' || node.type === 'tuple' || node.type === 'set' || node.type === 'expression_list') {
      return node.children.flatMap((element) => this.resolve(element, scope));
    }
    if (node.type === 'dictionary') {
      // an item of a dict is one of its values (`{"w": epics.caput}["w"]`)
      return node.children.flatMap((pair) => {
        const value = pair.type === 'pair' ? pair.child('value') : undefined;
        return value === undefined ? [] : this.resolve(value, scope);
      });
    }
    if (node.type === 'await') {
      const inner = node.children[0];
      if (inner !== undefined) return this.elements(inner, scope);
    }
    if (node.type === 'call') {
      // `pv, = ctx.get_pvs("A")`: calls that return control objects return a list of them
      const objects = this.resolve(node, scope).filter((v) => v.kind === 'instance' && this.model.classOf(v.of) !== undefined);
      if (objects.length > 0) return objects;
    }
    if (node.type === 'parenthesized_expression') {
      const inner = node.children[0];
      if (inner !== undefined) return this.elements(inner, scope);
    }
    if (node.type === 'identifier') {
      // `pvs = [PV("A"), PV("B")]; for pv in pvs:` iterates the list literal
      const found = this.depth < maxDepth ? this.bindingsOf(node.text, scope) : null;
      if (found === null) this.cut++;
      else if ('bindings' in found && found.bindings.every((b) => b.kind === 'expr')) {
        this.depth++;
        try {
          return found.bindings.flatMap((b) => (b.kind === 'expr' ? this.elementsOfBinding(b) : []));
        } finally {
          this.depth--;
        }
      }
    }
    return [{ kind: 'unknown', why: `an element of ${shown(node, 40)}` }];
  }

  private elementsOfBinding(binding: Extract<Binding, { kind: 'expr' }>): Value[] {
    if (this.active.has(binding)) {
      this.cut++;
      return [];
    }
    this.active.add(binding);
    try {
      return this.elements(binding.node, binding.scope);
    } finally {
      this.active.delete(binding);
    }
  }

  /** The inspector asks about the same callee and chain nodes more than once, and bindings lead to them too: computed once per node. */
  resolve(node: SyntaxNode, scope: Scope): Value[] {
    const cached = this.resolved.get(node);
    if (cached !== undefined) return cached;
    if (this.depth >= maxDepth) {
      this.cut++;
      return [{ kind: 'unknown', why: 'nested too deeply to follow' }];
    }
    this.depth++;
    const cut = this.cut;
    try {
      const values = unique(this.compute(node, scope));
      if (this.cut === cut || (this.active.size === 0 && this.depth === 1)) this.resolved.set(node, values);
      return values;
    } finally {
      this.depth--;
    }
  }

  private compute(node: SyntaxNode, scope: Scope): Value[] {
    switch (node.type) {
      case 'identifier':
        return this.lookup(node.text, scope);
      case 'attribute': {
        const object = node.child('object');
        const name = attributeName(node);
        if (object === undefined || name === undefined) break;
        return this.resolve(object, scope).map((value) => this.attributeOf(value, name));
      }
      case 'call':
        return this.callResult(node, scope);
      case 'string':
      case 'concatenated_string':
        return [{ kind: 'instance', of: 'builtins.str', text: this.staticText(node) }];
      case 'parenthesized_expression':
      case 'await': {
        const inner = node.children[0];
        return inner === undefined ? [] : this.resolve(inner, scope);
      }
      case 'named_expression': {
        const value = node.child('value');
        return value === undefined ? [] : this.resolve(value, scope);
      }
      case 'subscript': {
        const value = node.child('value');
        return value === undefined ? [] : this.elements(value, scope);
      }
      case 'conditional_expression': {
        const [whenTrue, , whenFalse] = node.children;
        return [whenTrue, whenFalse].flatMap((branch) => (branch === undefined ? [] : this.resolve(branch, scope)));
      }
      case 'boolean_operator':
        return node.children.flatMap((operand) => this.resolve(operand, scope));
      case 'binary_operator':
        return this.binary(node, scope);
      case 'lambda':
        return [{ kind: 'local', name: 'lambda' }];
      default: {
        const literal = literalTypes[node.type];
        if (literal !== undefined) return [{ kind: 'instance', of: literal, text: null }];
      }
    }
    return [{ kind: 'unknown', why: `the value of ${shown(node, 40)}` }];
  }

  attributeOf(value: Value, name: string): Value {
    switch (value.kind) {
      case 'ref':
        return { kind: 'ref', qname: this.normalize(`${value.qname}.${name}`) };
      case 'instance': {
        // `pv.__class__` is the class itself, so its `__dict__` is a class's
        if (name === '__class__') return classOf(value.of);
        const cls = this.model.classOf(value.of)?.spec;
        // an ophyd device's attributes are its components, themselves control objects
        if (cls?.components !== undefined && cls.methods[name] === undefined && !name.startsWith('_')) {
          return { kind: 'instance', of: cls.components, text: null };
        }
        return value.writeText === undefined
          ? { kind: 'member', of: value.of, name, text: value.text }
          : { kind: 'member', of: value.of, name, text: value.text, writeText: value.writeText };
      }
      case 'member':
        return { kind: 'member', of: `${value.of}.${value.name}`, name, text: null };
      case 'local':
        return { kind: 'member', of: `local.${value.name}`, name, text: null };
      case 'unknown':
        return value;
    }
  }

  private binary(node: SyntaxNode, scope: Scope): Value[] {
    const left = node.child('left');
    const right = node.child('right');
    const operator = node.child('operator');
    if (left === undefined || right === undefined || operator === undefined) return [];
    const op = operator.text;
    const lefts = this.resolve(left, scope);
    // most operators are arithmetic: the right side is only read for a path or a string it extends
    let rightText: StaticText | null | undefined;
    return lefts.map((value): Value => {
      if (value.kind !== 'instance') return { kind: 'unknown', why: `the value of ${shown(node, 40)}` };
      if ((op === '/' && value.of === 'pathlib.Path') || (op === '+' && value.of === 'builtins.str')) {
        rightText ??= this.stringValues(right, scope)[0] ?? null;
        return { kind: 'instance', of: value.of, text: joinText(value.text, rightText, op === '/' ? '/' : '') };
      }
      return { kind: 'instance', of: value.of, text: null };
    });
  }

  private callResult(node: SyntaxNode, scope: Scope): Value[] {
    const callee = node.child('function');
    if (callee === undefined) return [];
    return this.resolve(callee, scope).flatMap((value) => this.called(value, node, scope));
  }

  /** What calling `value` returns; the arguments of `call` are read only for the few callees whose result depends on them. */
  private called(value: Value, call: SyntaxNode, scope: Scope): Value[] {
    switch (value.kind) {
      case 'ref': {
        const qname = value.qname;
        if (qname === 'builtins.getattr') return this.getattrResult(positionalArguments(call.child('arguments')), scope);
        if (qname === 'builtins.__import__' || qname === 'importlib.import_module') {
          const module = this.firstText(call, 'name', scope);
          if (module?.complete === true) return [{ kind: 'ref', qname: this.normalize(module.value) }];
          return [{ kind: 'unknown', why: 'a module imported by a computed name' }];
        }
        if (qname === 'builtins.type') {
          // `type(pv)` is the class of pv
          const [object] = positionalArguments(call.child('arguments'));
          if (object !== undefined) return this.resolve(object, scope).map((v) => (v.kind === 'instance' ? classOf(v.of) : { kind: 'unknown', why: 'the type of an unknown value' }));
        }
        const returns = this.model.function(qname)?.spec.returns;
        if (returns !== undefined) return this.returned(returns, call, scope);
        const cls = this.model.classOf(qname)?.spec;
        if (cls !== undefined) return [this.controlObject(qname, cls, call, scope)];
        return [{ kind: 'instance', of: qname, text: textCarriers.has(qname) ? this.firstText(call, '', scope) : null }];
      }
      case 'member': {
        // pathlib keeps what is known of the path (an absolute start stays absolute)
        if (value.of === 'pathlib.Path') {
          return [{ kind: 'instance', of: value.of, text: value.text === null ? null : { value: value.text.value, complete: false } }];
        }
        const returns = this.model.method(value.of, value.name)?.method.returns;
        if (returns !== undefined) return this.returned(returns, call, scope);
        return [{ kind: 'instance', of: `${value.of}.${value.name}`, text: null }];
      }
      case 'local':
        return [{ kind: 'instance', of: `local.${value.name}`, text: null }];
      case 'instance':
        return [{ kind: 'instance', of: `${value.of}()`, text: null }];
      case 'unknown':
        return [value];
    }
  }

  /** A control object built by calling its class, with the names its constructor gives it. */
  private controlObject(of: string, cls: ClassSpec, call: SyntaxNode, scope: Scope): Value {
    const text = cls.name === undefined ? null : this.argumentText(call, cls.name, scope);
    const written = cls.writeName === undefined ? undefined : argument(call, cls.writeName);
    if (written === undefined) return { kind: 'instance', of, text };
    return { kind: 'instance', of, text, writeText: this.stringValues(written, scope)[0] ?? null };
  }

  /** The string a call passes first, positionally or as `keyword`. */
  private firstText(call: SyntaxNode, keyword: string, scope: Scope): StaticText | null {
    return this.argumentText(call, { index: 0, keyword }, scope);
  }

  private argumentText(call: SyntaxNode, ref: ArgRef, scope: Scope): StaticText | null {
    const arg = argument(call, ref);
    return arg === undefined ? null : (this.stringValues(arg, scope)[0] ?? null);
  }

  /** The control objects a call returns: one named by an argument, or one per positional argument. */
  private returned(spec: ReturnSpec, call: SyntaxNode, scope: Scope): Value[] {
    if (spec.many === true) {
      const names = positionalArguments(call.child('arguments')).map((node) => this.stringValues(node, scope)[0] ?? null);
      return (names.length > 0 ? names : [null]).map((text) => ({ kind: 'instance', of: spec.of, text }));
    }
    return [{ kind: 'instance', of: spec.of, text: spec.name === undefined ? null : this.argumentText(call, spec.name, scope) }];
  }

  private getattrResult(positional: SyntaxNode[], scope: Scope): Value[] {
    const [object, name] = positional;
    if (object === undefined || name === undefined) return [{ kind: 'unknown', why: 'getattr without an object and a name' }];
    const attribute = this.staticText(name);
    if (attribute?.complete !== true) return [{ kind: 'unknown', why: 'getattr with a computed attribute name' }];
    return this.resolve(object, scope).map((value) => this.attributeOf(value, attribute.value));
  }

}

function joinText(left: StaticText | null, right: StaticText | null, separator: string): StaticText | null {
  if (left === null) return null;
  if (!left.complete) return left;
  if (right === null) return { value: left.value + separator, complete: false };
  if (separator === '/' && right.value.startsWith('/')) return right; // pathlib: an absolute right side wins
  return { value: left.value + separator + right.value, complete: right.complete };
}
