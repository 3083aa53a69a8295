/**
 * Syntax nodes read from the wasm tree on demand. Each property read is a
 * call across the wasm boundary, and the analysis only looks at a small part
 * of the tree (what the selection query returns and what name resolution
 * follows from there), so nothing is copied up front: each property is read
 * at most once and cached. Nodes are interned per tree, so identity
 * comparisons and maps keyed by node work. A SyntaxTree is only valid while
 * its wasm tree is alive: the analysis runs synchronously between parse and
 * delete.
 */
import type { Node } from 'web-tree-sitter';

export class SyntaxTree {
  private readonly nodes = new Map<number, SyntaxNode>();

  /** `code` is the text the offsets refer to (UTF-16 code units). */
  constructor(
    readonly code: string,
    private readonly root: Node,
  ) {}

  /** The node of `type` spanning exactly [start, end), if there is one. */
  nodeAt(start: number, end: number, type: string): SyntaxNode | null {
    const raw = this.root.descendantForIndex(start, end);
    if (raw === null || raw.startIndex !== start) return null;
    const node = this.node(raw);
    return node.type === type && node.end === end ? node : null;
  }

  /** The one SyntaxNode of a wasm node; `type` seeds the cache when the caller already knows it. */
  node(raw: Node, type?: string): SyntaxNode {
    let node = this.nodes.get(raw.id);
    if (node === undefined) {
      node = new SyntaxNode(this, raw);
      this.nodes.set(raw.id, node);
    }
    if (type !== undefined) node.knowType(type);
    return node;
  }
}

export class SyntaxNode {
  readonly start: number;
  private cachedType: string | undefined;
  private cachedEnd: number | undefined;
  private cachedChildren: SyntaxNode[] | undefined;
  private cachedParent: SyntaxNode | null | undefined;
  private fields: Map<string, SyntaxNode | undefined> | undefined;

  constructor(
    private readonly tree: SyntaxTree,
    private readonly raw: Node,
  ) {
    this.start = raw.startIndex;
  }

  knowType(type: string): void {
    this.cachedType = type;
  }

  /** Records a child the caller already has (from a query match), sparing a wasm call. */
  knowChild(field: string, child: SyntaxNode): void {
    this.fields ??= new Map();
    this.fields.set(field, child);
    child.cachedParent ??= this;
  }

  get type(): string {
    this.cachedType ??= this.raw.type;
    return this.cachedType;
  }

  get end(): number {
    this.cachedEnd ??= this.raw.endIndex;
    return this.cachedEnd;
  }

  get text(): string {
    return this.tree.code.slice(this.start, this.end);
  }

  /** Named children, comments left out. */
  get children(): SyntaxNode[] {
    this.cachedChildren ??= this.raw.namedChildren
      .map((raw) => this.adopt(raw))
      .filter((node) => node.type !== 'comment');
    return this.cachedChildren;
  }

  /** The child in a grammar field (`function`, `left`, ...); the first one when the field repeats. */
  child(field: string): SyntaxNode | undefined {
    this.fields ??= new Map();
    if (!this.fields.has(field)) {
      const raw = this.raw.childForFieldName(field);
      this.fields.set(field, raw === null ? undefined : this.adopt(raw));
    }
    return this.fields.get(field);
  }

  /** Asking wasm for a parent walks down from the root, so parents learnt on the way down are kept. */
  get parent(): SyntaxNode | null {
    if (this.cachedParent === undefined) {
      const raw = this.raw.parent;
      this.cachedParent = raw === null ? null : this.tree.node(raw);
    }
    return this.cachedParent;
  }

  private adopt(raw: Node): SyntaxNode {
    const node = this.tree.node(raw);
    node.cachedParent ??= this;
    return node;
  }
}
