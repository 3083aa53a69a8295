/**
 * Code that runs code by routes other than eval and exec, which need a look
 * at the arguments rather than the name alone (the names alone are rule
 * families in python-api.ts): a function reached through a name held in a
 * string (`operator.methodcaller("put")`, `functools.reduce(getattr, ...)`),
 * a start method that launches fresh interpreters, and a `.py` file the code
 * writes and then imports.
 */
import { positionalArguments, type StaticText } from '../resolver.ts';
import { defineRuleFamily, rule, type InspectionContext } from '../rule-family.ts';
import type { RuleId } from '../rules.ts';
import type { Scope } from '../scopes.ts';
import type { SyntaxNode } from '../syntax-node.ts';

export const codeEscapeRules = {
  'resolution.indirect_call': rule(
    'blocking',
    'reaches a function through a name held in a string (operator.methodcaller/attrgetter naming a control-system write, functools.reduce(getattr, ...))',
  ),
};

const freshInterpreterMethods = new Set(['spawn', 'forkserver']);

/** `pkg/mod.py` is module `mod`, `pkg/__init__.py` is `pkg`. */
function moduleOfFile(path: string): string | null {
  const parts = path.split(/[/\\]/).filter((part) => part !== '' && part !== '.');
  const file = parts.at(-1);
  if (file === undefined || !file.endsWith('.py')) return null;
  const stem = file.slice(0, -'.py'.length);
  return stem === '__init__' ? (parts.at(-2) ?? null) : stem;
}

class EscapeChecks {
  /** Modules the code writes as `.py` files, by name. */
  private readonly written = new Map<string, SyntaxNode>();
  private readonly imported: Array<{ module: string; node: SyntaxNode }> = [];

  constructor(private readonly context: InspectionContext<RuleId>) {}

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
      this.context.report('dynamic.code', `imports ${module}, from the file ${name}.py that the code writes itself: that code is never analysed`, node);
    }
  }

  /** The literal strings among the first `count` positional arguments; null stands for a computed one. */
  private literalArguments(node: SyntaxNode, count: number): Array<string | null> {
    return positionalArguments(node.child('arguments'))
      .slice(0, count)
      .map((arg) => {
        const text = this.context.resolver.staticText(arg);
        return text?.complete === true ? text.value : null;
      });
  }

  private namedCallable(kind: string, names: Array<string | null>, node: SyntaxNode): void {
    if (names.includes(null)) {
      this.context.report('resolution.dynamic_attribute', `operator.${kind} with a computed name: the analyzer cannot tell what it reaches`, node);
      return;
    }
    // `attrgetter("pv.put")` reaches `put`
    const writes = names.filter((name): name is string => name !== null && this.context.model.writeNames.has(name.slice(name.lastIndexOf('.') + 1)));
    if (writes.length === 0) return;
    const shown = writes.map((name) => `"${name}"`).join(', ');
    this.context.report('resolution.indirect_call', `operator.${kind}(${shown}) reaches a control-system write through a name held in a string`, node);
    this.context.controls.indirectWrite(`operator.${kind}`, node);
  }

  private reduce(node: SyntaxNode, scope: Scope): void {
    const [fn] = positionalArguments(node.child('arguments'));
    if (fn === undefined) return;
    if (this.context.resolver.resolve(fn, scope).some((value) => value.kind === 'ref' && value.qname === 'builtins.getattr')) {
      this.context.report('resolution.indirect_call', 'functools.reduce(getattr, ...) walks a chain of attribute names held in strings: the analyzer cannot tell what it reaches', node);
    }
  }

  private startMethod(node: SyntaxNode): void {
    const [method] = this.literalArguments(node, 1);
    if (method !== null && method !== undefined && !freshInterpreterMethods.has(method)) return;
    const what = method === null || method === undefined ? 'a start method computed at run time' : `the "${method}" start method`;
    this.context.report('process.interpreter', `multiprocessing.set_start_method with ${what}: child processes start fresh interpreters`, node);
  }
}

export const codeEscapeFamily = defineRuleFamily('code-escapes', codeEscapeRules, (context) => {
  const escapes = new EscapeChecks(context);
  return {
    imported: (_qname, module, node) => escapes.importedModule(module, node),
    call(node, _value, qname, scope) {
      escapes.call(qname, node, scope);
      return false;
    },
    fileWritten: (path, node) => escapes.fileWritten(path, node),
    finish: () => escapes.finish(),
  };
});
