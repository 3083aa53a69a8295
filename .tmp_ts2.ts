import { parsePython } from './adapters/analysis/parser.ts';
import type { SyntaxNode } from './adapters/analysis/parser.ts';
const code = process.argv[2] ?? '';
const show = (n: SyntaxNode, d: number): void => { console.log(' '.repeat(d*2) + (n.field ? n.field + ':' : '') + n.type + ` ${n.line}:${n.column} ` + (n.children.length ? '' : JSON.stringify(code.slice(n.start, n.end)))); n.children.forEach(c => show(c, d+1)); };
const r = await parsePython(code, { maxNodes: 1e6, maxDepth: 1000, timeoutMs: 2000 });
if (r.kind === 'parsed') { console.log('hasError', r.hasError); show(r.root, 0); } else console.log(r);
