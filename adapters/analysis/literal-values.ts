/**
 * The value a write sets, when the code gives it as a literal (`caput("A", 1.5)`,
 * `pv.value = [1, 2]`, `v = 3; caput("A", v)`): the approval prompt and the
 * review page show it, and the limits checker compares it with the PV's
 * limits. Anything computed is null: the analysis never guesses a value.
 */
import type { LiteralValue } from '../../protocol/internal.ts';
import type { Resolver } from './resolver.ts';
import type { Scope } from './scopes.ts';
import type { SyntaxNode } from './syntax-node.ts';

type Scalar = number | string | boolean;

/** Python's integer and float literals (`1_000`, `0x1F`, `1e-3`); complex numbers are not values a PV takes. */
function number(text: string): number | null {
  const digits = text.replaceAll('_', '');
  if (/[jJ]$/.test(digits)) return null;
  if (/^0[xX][0-9a-fA-F]+$/.test(digits)) return Number.parseInt(digits.slice(2), 16);
  if (/^0[oO][0-7]+$/.test(digits)) return Number.parseInt(digits.slice(2), 8);
  if (/^0[bB][01]+$/.test(digits)) return Number.parseInt(digits.slice(2), 2);
  const value = Number(digits);
  return Number.isFinite(value) ? value : null;
}

/** How deep names bound to names are followed (`a = 1; b = a`): enough for code, bounded for cycles. */
const maxAliases = 4;

export class LiteralValues {
  constructor(private readonly resolver: Resolver) {}

  /** The literal `node` stands for, or null. */
  of(node: SyntaxNode, scope: Scope): LiteralValue | null {
    return this.value(node, scope, 0);
  }

  private value(node: SyntaxNode, scope: Scope, aliases: number): LiteralValue | null {
    if (node.type === 'list' || node.type === 'tuple') {
      const items: Scalar[] = [];
      for (const child of node.children) {
        const item = this.scalar(child, scope, aliases);
        if (item === null) return null;
        items.push(item);
      }
      return items;
    }
    if (node.type === 'identifier' && aliases < maxAliases) {
      const bound = this.resolver.singleBinding(node.text, scope);
      return bound === null ? null : this.value(bound, scope, aliases + 1);
    }
    return this.scalar(node, scope, aliases);
  }

  private scalar(node: SyntaxNode, scope: Scope, aliases: number): Scalar | null {
    switch (node.type) {
      case 'integer':
      case 'float':
        return number(node.text);
      case 'true':
        return true;
      case 'false':
        return false;
      case 'string':
      case 'concatenated_string': {
        const text = this.resolver.staticText(node);
        return text?.complete === true ? text.value : null;
      }
      case 'parenthesized_expression': {
        const inner = node.children[0];
        return inner === undefined ? null : this.scalar(inner, scope, aliases);
      }
      case 'unary_operator': {
        const operand = node.child('argument');
        const value = operand === undefined ? null : this.scalar(operand, scope, aliases);
        if (typeof value !== 'number') return null;
        const sign = node.text.trimStart().charAt(0);
        return sign === '-' ? -value : sign === '+' ? value : null;
      }
      case 'identifier': {
        if (aliases >= maxAliases) return null;
        const bound = this.resolver.singleBinding(node.text, scope);
        return bound === null ? null : this.scalar(bound, scope, aliases + 1);
      }
      default:
        return null;
    }
  }
}
