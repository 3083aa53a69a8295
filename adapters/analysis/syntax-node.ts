/**
 * Syntax nodes read from the wasm tree on demand. Each property read is a
 * call across the wasm boundary, and the analysis only looks at a small part
 * of the tree (what the selection query returns and what name resolution
 * follows from there), so nothing is copied up front: each property is read
 * at most once and cached, and what the source text shows is read from the
 * text instead (where an identifier ends, which child is a comment). Nodes
 * are interned per tree, so identity comparisons and maps keyed by node
 * work. A SyntaxTree is only valid while its wasm tree is alive: the analysis
 * runs synchronously between parse and delete.
 */
import type { Node } from 'web-tree-sitter';

/** `[A-Za-z0-9_]`: a character of a plain ASCII name. */
export const isAsciiNameChar = (code: number) =>
  (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95;

/** Keywords an expression of one word may be instead of an identifier (`x = yield` in a generator). */
const wordExpressions: ReadonlyMap<string, string> = new Map([
  ['None', 'none'],
  ['True', 'true'],
  ['False', 'false'],
  ['yield', 'yield'],
]);

export class SyntaxTree {
  /**
   * Nodes by start offset (1 + an index into `nodes`, 0 for none), then by
   * id along `sameStart`: cheaper than a map keyed by id, and few nodes
   * share a start.
   */
  private readonly firstAt: Int32Array;
  private readonly nodes: SyntaxNode[] = [];

  /**
   * `code` is the text the offsets refer to (UTF-16 code units). `plain`: the
   * tree has no syntax errors, so nodes are what the text shows (an
   * identifier ends where its word does); in a tree with errors, every
   * property is asked of the tree.
   */
  constructor(
    readonly code: string,
    private readonly root: Node,
    readonly plain: boolean,
  ) {
    this.firstAt = new Int32Array(code.length + 1);
  }

  /**
   * The node of `type` spanning exactly [start, end), if there is one.
   * `within`, a node known to contain that span, spares the search from the
   * root, which looks through every top-level statement before it.
   */
  nodeAt(start: number, end: number, type: string, within?: SyntaxNode): SyntaxNode | null {
    // a node the selection already holds (a callee, an object, a target) needs no search in the tree
    for (let node = this.nodes[(this.firstAt[start] as number) - 1]; node !== undefined; node = node.sameStart) {
      if (node.typeFromSelection() === type && node.end === end) return node;
    }
    const raw = (within?.raw ?? this.root).descendantForIndex(start, end);
    if (raw === null || raw.startIndex !== start) return null;
    const node = this.node(raw);
    return node.type === type && node.end === end ? node : null;
  }

  /** The one SyntaxNode of a wasm node; `type` seeds the cache when the caller already knows it. */
  node(raw: Node, type?: string): SyntaxNode {
    const start = raw.startIndex;
    const id = raw.id;
    const first = this.nodes[(this.firstAt[start] as number) - 1];
    let node = first;
    while (node !== undefined && node.raw.id !== id) node = node.sameStart;
    if (node === undefined) {
      node = new SyntaxNode(this, raw, type);
      node.sameStart = first;
      this.firstAt[start] = this.nodes.push(node);
    } else if (type !== undefined) node.knowType(type);
    return node;
  }

  /** Where the ASCII word starting at `start` ends, or -1 when a non-ASCII character continues it (the tree knows). */
  wordEnd(start: number): number {
    const code = this.code;
    let end = start;
    while (end < code.length && isAsciiNameChar(code.charCodeAt(end))) end++;
    return end < code.length && code.charCodeAt(end) >= 0x80 ? -1 : end;
  }
}

export class SyntaxNode {
  readonly start: number;
  private cachedType: string | undefined;
  private cachedEnd = -1;
  private cachedChildren: SyntaxNode[] | undefined;
  private cachedParent: SyntaxNode | null | undefined;
  /** Grammar fields already read or told, as field name then child (null: no such child); a node has a few at most. */
  private fields: Array<string | SyntaxNode | null> | undefined;
  /** The node stands where only an expression can (a callee, an assignment's side): its type may be read from its text. */
  private expression = false;
  /** The next node starting where this one does, for SyntaxTree's index. */
  sameStart: SyntaxNode | undefined;

  constructor(
    private readonly tree: SyntaxTree,
    /** The wasm node; only the SyntaxTree it belongs to reads it directly. */
    readonly raw: Node,
    type: string | undefined,
  ) {
    this.start = raw.startIndex;
    this.cachedType = type;
  }

  knowType(type: string): void {
    this.cachedType = type;
  }

  /** Records that the node is an expression (see `type`). */
  knowExpression(): void {
    this.expression = true;
  }

  /** Records a child the caller already has (from a query match), sparing a wasm call. */
  knowChild(field: string, child: SyntaxNode): void {
    (this.fields ??= []).push(field, child);
    child.cachedParent ??= this;
  }

  get type(): string {
    this.cachedType ??= this.typeFromSelection() ?? this.raw.type;
    return this.cachedType;
  }

  /** The type when it is known without asking the tree: told by the selection, or read from the text of an expression. */
  typeFromSelection(): string | undefined {
    this.cachedType ??= this.expression && this.tree.plain ? this.oneWordType() : undefined;
    return this.cachedType;
  }

  get end(): number {
    if (this.cachedEnd === -1) {
      // an identifier is the word it starts with: no wasm call
      const word = this.cachedType === 'identifier' && this.tree.plain ? this.tree.wordEnd(this.start) : -1;
      this.cachedEnd = word > this.start ? word : this.raw.endIndex;
    }
    return this.cachedEnd;
  }

  get text(): string {
    return this.tree.code.slice(this.start, this.end);
  }

  /** Named children, comments left out. */
  get children(): SyntaxNode[] {
    if (this.cachedChildren === undefined) {
      const code = this.tree.code;
      const children: SyntaxNode[] = [];
      for (const raw of this.raw.namedChildren) {
        // a comment starts with `#`: only children that do are asked their type
        if (code.charCodeAt(raw.startIndex) === 35 && raw.type === 'comment') continue;
        children.push(this.adopt(raw));
      }
      this.cachedChildren = children;
    }
    return this.cachedChildren;
  }

  /** The child in a grammar field (`function`, `left`, ...); the first one when the field repeats. */
  child(field: string): SyntaxNode | undefined {
    const fields = (this.fields ??= []);
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === field) return (fields[i + 1] as SyntaxNode | null) ?? undefined;
    }
    const raw = this.raw.childForFieldName(field);
    const child = raw === null ? null : this.adopt(raw);
    fields.push(field, child);
    return child ?? undefined;
  }

  /** Asking wasm for a parent walks down from the root, so parents learnt on the way down are kept. */
  get parent(): SyntaxNode | null {
    if (this.cachedParent === undefined) {
      const raw = this.raw.parent;
      this.cachedParent = raw === null ? null : this.tree.node(raw);
    }
    return this.cachedParent;
  }

  /** An expression spanning exactly one plain word is an identifier, or one of a few keywords. */
  private oneWordType(): string | undefined {
    const end = this.end;
    if (this.tree.wordEnd(this.start) !== end || end === this.start) return undefined;
    const first = this.tree.code.charCodeAt(this.start);
    if (first >= 48 && first <= 57) return undefined; // a number
    return wordExpressions.get(this.tree.code.slice(this.start, end)) ?? 'identifier';
  }

  private adopt(raw: Node): SyntaxNode {
    const node = this.tree.node(raw);
    node.cachedParent ??= this;
    return node;
  }
}
