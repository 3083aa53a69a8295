/** Code shown in a message: on one line, cut to a length a message can hold. */
import type { SyntaxNode } from './syntax-node.ts';

export function truncated(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 3)}...` : text;
}

/** A node's text on one line, at most `limit` characters. */
export function shown(node: SyntaxNode, limit = 60): string {
  return truncated(node.text.replace(/\s+/g, ' '), limit);
}
