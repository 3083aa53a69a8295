/**
 * The nesting limit (`analysis.max_depth`) without visiting every node: a
 * subtree of `n` nodes is at most `n - 1` levels deep, so only subtrees too
 * big to be shallow for certain are opened. Ordinary code stops at the
 * top-level statements; a pathological chain is followed down to the limit
 * and no further, so the cost stays bounded either way.
 */
import type { Node } from 'web-tree-sitter';

/** The first node found deeper than `maxDepth` below `root`, or null when there is none. */
export function nodeBeyondDepth(root: Node, maxDepth: number): Node | null {
  const pending: Array<{ node: Node; depth: number }> = [{ node: root, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, depth } = next;
    if (depth > maxDepth) return node;
    if (depth + node.descendantCount - 1 <= maxDepth) continue;
    for (const child of node.children) if (child !== null) pending.push({ node: child, depth: depth + 1 });
  }
  return null;
}
