/**
 * The Python parser: web-tree-sitter with the grammar wasm shipped in the
 * `tree-sitter-python` package (offline), loaded once per process and reused.
 *
 * A parse returns a plain JavaScript copy of the syntax tree. Walking the
 * wasm tree costs a call across the wasm boundary per property; the analysis
 * reads every node several times, so one copy is cheaper than many reads, and
 * the copy is where the node and depth budgets are enforced (the analysis
 * that follows recurses, and must never meet a tree that overflows the stack).
 */
import { createRequire } from 'node:module';
import { Language, Parser, type TreeCursor } from 'web-tree-sitter';

export interface SyntaxNode {
  readonly type: string;
  /** The grammar's field name of this node in its parent (`function`, `left`, ...). */
  readonly field: string | null;
  readonly named: boolean;
  readonly missing: boolean;
  /** Offsets into the code string (UTF-16 code units); SourceLines turns them into lines. */
  readonly start: number;
  readonly end: number;
  readonly children: SyntaxNode[];
  readonly parent: SyntaxNode | null;
}

export interface ParseLimits {
  maxNodes: number;
  maxDepth: number;
  timeoutMs: number;
}

export type ParseOutcome =
  | { kind: 'parsed'; root: SyntaxNode; hasError: boolean }
  | { kind: 'timeout' }
  | { kind: 'too_many_nodes'; nodes: number }
  | { kind: 'too_deep'; index: number };

let parserPromise: Promise<Parser> | undefined;

async function loadParser(): Promise<Parser> {
  const require = createRequire(import.meta.url);
  await Parser.init();
  const python = await Language.load(require.resolve('tree-sitter-python/tree-sitter-python.wasm'));
  return new Parser().setLanguage(python);
}

/** The process-wide parser; the wasm is loaded on first use only. */
export function pythonParser(): Promise<Parser> {
  parserPromise ??= loadParser().catch((error: unknown) => {
    parserPromise = undefined;
    throw new Error(`cannot load the Python grammar (web-tree-sitter + tree-sitter-python wasm): ${String(error)}`);
  });
  return parserPromise;
}

type MutableNode = SyntaxNode & { children: SyntaxNode[] };

/**
 * Reads the cursor with as few wasm calls as possible (each one marshals the
 * cursor): type names and namedness are cached per type id, field names come
 * from the language's table, and missing nodes only exist in trees with errors.
 */
class CursorReader {
  private readonly named = new Map<number, boolean>();

  constructor(
    private readonly cursor: TreeCursor,
    private readonly language: Language,
    private readonly treeHasError: boolean,
  ) {}

  isNamed(typeId: number): boolean {
    let named = this.named.get(typeId);
    if (named === undefined) {
      named = typeId === 65535 || this.language.nodeTypeIsNamed(typeId);
      this.named.set(typeId, named);
    }
    return named;
  }

  /** The node under the cursor, or null when it is anonymous and has no field (punctuation). */
  read(parent: SyntaxNode | null): MutableNode | null {
    const typeId = this.cursor.nodeTypeId;
    const field = this.language.fields[this.cursor.currentFieldId] ?? null;
    const missing = this.treeHasError && this.cursor.nodeIsMissing;
    const named = this.isNamed(typeId);
    if (!named && !missing && field === null) return null;
    const type = this.language.types[typeId] ?? 'ERROR';
    return { type, field, named, missing, start: this.cursor.startIndex, end: this.cursor.endIndex, children: [], parent };
  }
}

/**
 * Copies named nodes, and anonymous ones that carry a field (a binary
 * operator's `operator`), iteratively: depth is bounded by `maxDepth`, not by
 * the JavaScript stack. `parents[d]` is the nearest kept node at or above the
 * cursor's depth `d`.
 */
function copyTree(cursor: TreeCursor, reader: CursorReader, maxDepth: number): ParseOutcome {
  const root = reader.read(null) as MutableNode;
  const parents: MutableNode[] = [root];
  let depth = 0;
  let hasError = root.type === 'ERROR';
  for (;;) {
    if (cursor.gotoFirstChild()) {
      depth++;
    } else {
      for (;;) {
        if (depth === 0) return { kind: 'parsed', root, hasError };
        parents.pop();
        if (cursor.gotoNextSibling()) break;
        cursor.gotoParent();
        depth--;
      }
    }
    const parent = parents[depth - 1] as MutableNode;
    const node = reader.read(parent);
    if (node === null) {
      parents.push(parent);
      continue;
    }
    if (node.type === 'ERROR' || node.missing) hasError = true;
    if (depth > maxDepth) return { kind: 'too_deep', index: node.start };
    parent.children.push(node);
    parents.push(node);
  }
}

export async function parsePython(code: string, limits: ParseLimits): Promise<ParseOutcome> {
  const parser = await pythonParser();
  const deadline = performance.now() + limits.timeoutMs;
  const tree = parser.parse(code, null, { progressCallback: () => performance.now() > deadline });
  if (tree === null) {
    parser.reset();
    return { kind: 'timeout' };
  }
  try {
    const nodes = tree.rootNode.descendantCount;
    if (nodes > limits.maxNodes) return { kind: 'too_many_nodes', nodes };
    const cursor = tree.walk();
    try {
      return copyTree(cursor, new CursorReader(cursor, tree.language, tree.rootNode.hasError), limits.maxDepth);
    } finally {
      cursor.delete();
    }
  } finally {
    tree.delete();
  }
}
