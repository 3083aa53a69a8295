/**
 * Code that runs code by routes other than eval and exec, which need a look
 * at the arguments rather than the name alone (the names alone are rule
 * families in python-api.ts): a function reached through a name held in a
 * string (`operator.methodcaller("put")`, `functools.reduce(getattr, ...)`),
 * a start method that launches fresh interpreters, and a `.py` file the code
 * writes and then imports.
 */
import type { ControlAccesses, Report } from './control-access.ts';
import type { ControlModel } from './control/index.ts';
import { positionalArguments, type Resolver, type StaticText } from './resolver.ts';
import type { Scope } from './scopes.ts';
import type { SyntaxNode } from './syntax-node.ts';

const freshInterpreterMethods = new Set(['spawn', 'forkserver']);

/** `pkg/mod.py` is module `mod`, `pkg/__init__.py` is `pkg`. */
function moduleOfFile(path: string): string | null {
  const parts = path.split(/[/\\]/).filter((part) => part !== '' && part !== '.');
  const file = parts.at(-1);
  if (file === undefined || !file.endsWith('.py')) return null;
  const stem = file.slice(0, -'.py'.length);
  return stem === '__init__' ? (parts.at(-2) ?? null) : stem;
}

export class EscapeChecks {
  /** Modules the code writes as `.py` files, by name. */
  private readonly written = new Map<string, SyntaxNode>();
  private readonly imported: Array<{ module: string; node: SyntaxNode }> = [];

  constructor(
    private readonly resolver: Resolver,
    private readonly model: ControlModel,
    private readonly controls: ControlAccesses,
    private readonly report: Report,
  ) {}

  /** Checks a call of `qname` whose arguments decide what it does. */
  call(qname: string, node: SyntaxNode, scope: Scope): void {
    switch (qname) {
      case 'operator.methodcaller':
        return this.namedCallable('methodcaller', this.literalArguments(node, 1), node);
      case 'operator.attrgetter':
        return this.namedCallable('attrgetter', this.literalArguments(node, Infinity), node);
      case 'functools.reduce':
      case '_functools.reduce':
        return this.reduce(node, scope);
      case 'multiprocessing.set_start_method':
        return this.startMethod(node);
    }
  }

  /** A file the code writes; a `.py` file is remembered for the imports. */
  fileWritten(path: StaticText | null, node: SyntaxNode): void {
    if (path?.complete !== true) return;
    const module = moduleOfFile(path.value);
    if (module !== null && !this.written.has(module)) this.written.set(module, node);
  }

  /** A module the code imports (`import a.b` imports `a` and `a.b`). */
  importedModule(module: string, node: SyntaxNode): void {
    this.imported.push({ module, node });
  }

  /** After every node: an import of a module the code wrote runs code the analysis never saw. */
  finish(): void {
    if (this.written.size === 0) return;
    for (const { module, node } of this.imported) {
      const name = module.split('.').find((part) => this.written.has(part));
      if (name === undefined) continue;
      this.report('dynamic.code', `imports ${module}, from the file ${name}.py that the code writes itself: that code is never analysed`, node);
    }
  }

  /** The literal strings among the first `count` positional arguments; null stands for a computed one. */
  private literalArguments(node: SyntaxNode, count: number): Array<string | null> {
    return positionalArguments(node.child('arguments'))
      .slice(0, count)
      .map((arg) => {
        const text = this.resolver.staticText(arg);
        return text?.complete === true ? text.value : null;
      });
  }

  private namedCallable(kind: string, names: Array<string | null>, node: SyntaxNode): void {
    if (names.includes(null)) {
      this.report('resolution.dynamic_attribute', `operator.${kind} with a computed name: the analyzer cannot tell what it reaches`, node);
      return;
    }
    // `attrgetter("pv.put")` reaches `put`
    const writes = names.filter((name): name is string => name !== null && this.model.writeNames.has(name.slice(name.lastIndexOf('.') + 1)));
    if (writes.length === 0) return;
    const shown = writes.map((name) => `"${name}"`).join(', ');
    this.report('resolution.indirect_call', `operator.${kind}(${shown}) reaches a control-system write through a name held in a string`, node);
    this.controls.indirectWrite(`operator.${kind}`, node);
  }

  private reduce(node: SyntaxNode, scope: Scope): void {
    const [fn] = positionalArguments(node.child('arguments'));
    if (fn === undefined) return;
    if (this.resolver.resolve(fn, scope).some((value) => value.kind === 'ref' && value.qname === 'builtins.getattr')) {
      this.report('resolution.indirect_call', 'functools.reduce(getattr, ...) walks a chain of attribute names held in strings: the analyzer cannot tell what it reaches', node);
    }
  }

  private startMethod(node: SyntaxNode): void {
    const [method] = this.literalArguments(node, 1);
    if (method !== null && method !== undefined && !freshInterpreterMethods.has(method)) return;
    const what = method === null || method === undefined ? 'a start method computed at run time' : `the "${method}" start method`;
    this.report('process.interpreter', `multiprocessing.set_start_method with ${what}: child processes start fresh interpreters`, node);
  }
}
