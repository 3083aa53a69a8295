/**
 * The nesting limit (`analysis.max_depth`) without visiting every node: a
 * subtree of `n` nodes is at most `n - 1` levels deep, so only subtrees too
 * big to be shallow for certain are opened. Ordinary code stops at the
 * top-level statements, whose sizes a tree cursor reads without creating a
 * node object for each; a pathological chain is followed down to the limit
 * and no further, so the cost stays bounded either way.
 */
import type { Node } from 'web-tree-sitter';

/** The size of the largest subtree under `root`'s children: a child's subtree ends where the next one's begins. */
function largestChild(root: Node): number {
  const cursor = root.walk();
  try {
    if (!cursor.gotoFirstChild()) return 0;
    let largest = 0;
    let start = cursor.currentDescendantIndex;
    while (cursor.gotoNextSibling()) {
      const next = cursor.currentDescendantIndex;
      largest = Math.max(largest, next - start);
      start = next;
    }
    // descendant indices count from the root, which is index 0
    return Math.max(largest, root.descendantCount - start);
  } finally {
    cursor.delete();
  }
}

/** The first node found deeper than `maxDepth` below `root`, or null when there is none. */
export function nodeBeyondDepth(root: Node, maxDepth: number): Node | null {
  if (root.descendantCount - 1 <= maxDepth || largestChild(root) <= maxDepth) return null;
  const pending: Array<{ node: Node; depth: number }> = [{ node: root, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, depth } = next;
    if (depth > maxDepth) return node;
    if (depth + node.descendantCount - 1 <= maxDepth) continue;
    for (const child of node.children) if (child !== null) pending.push({ node: child, depth: depth + 1 });
  }
  return null;
}
