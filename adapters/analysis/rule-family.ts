/**
 * Rule families are plugins, registered the way generator types are
 * (`defineGeneratorType(schema, build)`): a family declares the rules it adds
 * to the catalogue (id, default severity, whether a facility may change it,
 * one line for docs) and builds, for each analysis, the checks it runs. The
 * inspector walks the selected nodes once and hands each to every family's
 * checks; adding a family is registering it (families/index.ts, or
 * `createAnalyzer(config, { ruleFamilies })`), not editing the inspector.
 *
 * A family may report any rule of the catalogue, not only its own: code that
 * runs code is `dynamic.code` whether a name says so or a `.py` file the code
 * wrote is imported.
 */
import type { Severity } from '../../protocol/public.ts';
import type { ControlAccesses } from './control-access.ts';
import type { ControlModel } from './control/index.ts';
import type { PatternMatcher } from './patterns.ts';
import type { Resolver, StaticText, Value } from './resolver.ts';
import type { RuleId } from './rules.ts';
import type { Scope, ScopeTree } from './scopes.ts';
import type { SyntaxNode } from './syntax-node.ts';

export interface RuleSpec {
  readonly severity: Severity;
  readonly configurable: boolean;
  /** One line for docs and error messages. */
  readonly summary: string;
}

/** A rule a facility may set to any severity, with its strict default. */
export const rule = (severity: Severity, summary: string): RuleSpec => ({ severity, configurable: true, summary });

/** A rule that guards the analysis itself: always blocking, whatever the configuration says. */
export const fixed = (summary: string): RuleSpec => ({ severity: 'blocking', configurable: false, summary });

/** How a name or attribute is read where it stands. */
export type ReadKind = 'called' | 'chained' | 'value';

/** What every family's checks share during one analysis. */
export interface InspectionContext<Id extends string = string> {
  readonly scopes: ScopeTree;
  readonly resolver: Resolver;
  readonly model: ControlModel;
  readonly patterns: PatternMatcher;
  /** The control-system accesses found so far, and how to record one (any family may find a write). */
  readonly controls: ControlAccesses;
  report(rule: Id, message: string, node: SyntaxNode | null): void;
  /** Tells every family that the code writes the file at `path` (a `.py` file then imported runs unseen code). */
  fileWritten(path: StaticText | null, node: SyntaxNode): void;
}

/** A family's checks for one analysis; each hook is optional. */
export interface FamilyChecks {
  /**
   * Whether a name bound to `values` may be reported where it is read.
   * Names no family cares about (most of them: `np`, `arr`) are never looked
   * up in the tree, which is what keeps the analysis fast.
   */
  matters?(name: string, values: readonly Value[]): boolean;
  /** Names that may matter where the code does not bind them (built-ins, names the runtime injects). */
  readonly unboundNames?: Iterable<string>;
  /** `import a.b` (qname `a.b`), `from m import x` (qname `m.x`); `module` is what the statement loads. */
  imported?(qname: string, module: string, node: SyntaxNode): void;
  /** Any attribute `object.name`, before it is read or stored. */
  attribute?(node: SyntaxNode, object: SyntaxNode, name: string, scope: Scope): void;
  /** A name or attribute read, with the values it may have. */
  read?(node: SyntaxNode, values: readonly Value[], how: ReadKind): void;
  /** `object.name = ...` or `del object.name`, once per value the object may have. */
  stored?(node: SyntaxNode, object: Value, name: string, scope: Scope): void;
  /**
   * A call of `qname` (`value` is what the callee resolved to). True when the
   * family knows the callee: calls no family knows are matched against the
   * configured patterns (`unplacedCall`).
   */
  call?(node: SyntaxNode, value: Value, qname: string, scope: Scope): boolean;
  /** A call whose callee no family knows and that is in no known-safe namespace. */
  unplacedCall?(node: SyntaxNode, callee: SyntaxNode, values: readonly Value[], scope: Scope): void;
  fileWritten?(path: StaticText | null, node: SyntaxNode): void;
  /** After every node. */
  finish?(): void;
}

export interface RuleFamily {
  readonly name: string;
  readonly rules: Readonly<Record<string, RuleSpec>>;
  start(context: InspectionContext): FamilyChecks;
}

/**
 * Registers a family: `rules` are its own rule ids; its checks may report
 * those and every built-in rule (typed, so a misspelt id does not compile).
 */
export function defineRuleFamily<const R extends Readonly<Record<string, RuleSpec>>>(
  name: string,
  rules: R,
  start: (context: InspectionContext<RuleId | (keyof R & string)>) => FamilyChecks,
): RuleFamily {
  return { name, rules, start };
}

/**
 * The rules of the core (fixed) and of `families`, by id. An id declared by
 * two families is a registration mistake: which severity would it have?
 */
export function catalogueOf(core: Readonly<Record<string, RuleSpec>>, families: readonly RuleFamily[]): Readonly<Record<string, RuleSpec>> {
  const catalogue: Record<string, RuleSpec> = { ...core };
  const owners = new Map<string, string>();
  for (const family of families) {
    for (const [id, spec] of Object.entries(family.rules)) {
      if (Object.hasOwn(catalogue, id)) {
        throw new Error(`rule family ${family.name} declares ${id}, which ${owners.get(id) ?? 'the analyzer core'} declares already`);
      }
      catalogue[id] = spec;
      owners.set(id, family.name);
    }
  }
  return catalogue;
}
