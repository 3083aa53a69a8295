/**
 * The Python parser: web-tree-sitter with the grammar wasm shipped in the
 * `tree-sitter-python` package (offline), loaded once per process and reused.
 *
 * A parse is bounded in time, nodes and depth. The wasm tree lives only for
 * the duration of the synchronous `analyse` callback and is freed right
 * after, so no caller has to remember to delete it.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Tree } from 'web-tree-sitter';
import { nodeBeyondDepth } from './depth-limit.ts';

export interface ParseLimits {
  maxNodes: number;
  maxDepth: number;
  timeoutMs: number;
}

export type ParseOutcome<T> =
  | { kind: 'parsed'; result: T }
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

/** Parses `code` within `limits` and hands the tree to `analyse`, which must not keep it. */
export async function parsePython<T>(code: string, limits: ParseLimits, analyse: (tree: Tree) => T): Promise<ParseOutcome<T>> {
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
    const tooDeep = nodeBeyondDepth(tree.rootNode, limits.maxDepth);
    if (tooDeep !== null) return { kind: 'too_deep', index: tooDeep.startIndex };
    return { kind: 'parsed', result: analyse(tree) };
  } finally {
    tree.delete();
  }
}
