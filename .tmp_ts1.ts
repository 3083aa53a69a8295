import { Parser, Language } from 'web-tree-sitter';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
await Parser.init();
const lang = await Language.load(require.resolve('tree-sitter-python/tree-sitter-python.wasm'));
const p = new Parser(); p.setLanguage(lang);
const src = process.argv[2] ?? '';
const t = p.parse(src)!;
console.log(t.rootNode.toString());
const c = t.walk();
function rec(depth: number) { console.log(' '.repeat(depth*2) + (c.currentFieldName ?? '') + ':' + c.nodeType + ' ' + c.startIndex + '-' + c.endIndex + ' ' + JSON.stringify(c.startPosition) + (c.nodeIsNamed ? '' : ' (anon)')); if (c.gotoFirstChild()) { do rec(depth+1); while (c.gotoNextSibling()); c.gotoParent(); } }
rec(0);
