/**
 * Files the code writes or deletes: `open` and `os.open` with a mode that
 * writes, pathlib's writing and deleting methods, and the deleting functions
 * of os and shutil (by name, in named-api.ts). A file inside the execution
 * folder is the code's own business; outside it, or at a path computed at
 * run time, it is reported. Every file written is told to the other families
 * (a `.py` file written and then imported runs code never analysed).
 */
import { keywordArgument, positionalArguments, type Resolver, type StaticText } from '../resolver.ts';
import { fileOpeners, pathDeleteMethods, pathWriteMethods } from '../python-api.ts';
import { defineRuleFamily, rule } from '../rule-family.ts';
import { shown } from '../node-text.ts';
import type { Scope } from '../scopes.ts';
import type { SyntaxNode } from '../syntax-node.ts';

export const fileRules = {
  'file.delete': rule('blocking', 'deletes files or folders (shutil.rmtree, os.remove, Path.unlink...)'),
  'file.write_outside': rule('blocking', 'writes a file at an absolute path or through "..", outside the execution folder'),
  'file.write_unresolved': rule('warning', 'writes or deletes a file whose path is computed at run time'),
};

type PathLocation = 'inside' | 'outside' | 'unknown';

function classifyPath(text: StaticText | null): PathLocation {
  if (text === null) return 'unknown';
  const value = text.value;
  if (/^([/\\~]|[A-Za-z]:)/.test(value) || value.split(/[/\\]/).includes('..')) return 'outside';
  return text.complete ? 'inside' : 'unknown';
}

function worstLocation(locations: PathLocation[]): PathLocation {
  if (locations.includes('outside')) return 'outside';
  return locations.includes('unknown') ? 'unknown' : 'inside';
}

function opensForWriting(resolver: Resolver, qname: string, modeNode: SyntaxNode | undefined): 'yes' | 'no' | 'maybe' {
  if (modeNode === undefined) return 'no';
  if (qname === 'os.open') {
    const flags = modeNode.text;
    if (/O_(WRONLY|RDWR|CREAT|APPEND|TRUNC)/.test(flags)) return 'yes';
    return /^\s*(os\.)?O_RDONLY\s*$/.test(flags) ? 'no' : 'maybe';
  }
  const mode = resolver.staticText(modeNode);
  if (mode?.complete !== true) return 'maybe';
  return /[wax+]/.test(mode.value) ? 'yes' : 'no';
}

export const fileFamily = defineRuleFamily('files', fileRules, ({ resolver, report, fileWritten }) => {
  /** `paths`: what the path may be, when the caller knows it already (a Path object's text), else read from the call. */
  const fileOpen = (qname: string, node: SyntaxNode, modeIndex: number, known: Array<StaticText | null> | null, scope: Scope) => {
    const args = node.child('arguments');
    const positional = positionalArguments(args);
    const modeNode = positional[modeIndex] ?? keywordArgument(args, qname === 'os.open' ? 'flags' : 'mode');
    const writing = opensForWriting(resolver, qname, modeNode);
    if (writing === 'no') return;
    let paths = known;
    if (paths === null) {
      const pathNode = positional[0] ?? keywordArgument(args, qname === 'os.open' ? 'path' : 'file');
      paths = pathNode === undefined ? [null] : resolver.stringValues(pathNode, scope);
    }
    for (const text of paths) fileWritten(text, node);
    const location = worstLocation(paths.map(classifyPath));
    const how = writing === 'yes' ? 'for writing' : 'with a mode computed at run time';
    if (location === 'outside') {
      report('file.write_outside', `opens a file outside the execution folder ${how} (${shown(node)})`, node);
    } else if (location === 'unknown') {
      report('file.write_unresolved', `opens a file whose path is computed at run time ${how} (${shown(node)})`, node);
    }
  };

  const pathMethod = (node: SyntaxNode, method: string, text: StaticText | null, scope: Scope) => {
    if (method === 'open') return fileOpen('builtins.open', node, 0, [text ?? { value: '', complete: false }], scope);
    const deletes = pathDeleteMethods.has(method);
    if (!deletes && !pathWriteMethods.has(method)) return;
    if (!deletes) fileWritten(text, node);
    const location = classifyPath(text);
    const verb = deletes ? 'deletes' : 'writes';
    if (location === 'outside') {
      report(deletes ? 'file.delete' : 'file.write_outside', `${verb} ${JSON.stringify(text?.value ?? '')}..., outside the execution folder (Path.${method})`, node);
    } else if (location === 'unknown') {
      report('file.write_unresolved', `${verb} a path computed at run time (Path.${method}: ${shown(node)})`, node);
    }
  };

  return {
    call(node, value, qname, scope) {
      const opener = fileOpeners.get(qname);
      if (opener !== undefined) fileOpen(qname, node, opener.modeIndex, null, scope);
      if (value.kind !== 'member' || value.of !== 'pathlib.Path') return false;
      pathMethod(node, value.name, value.text, scope);
      return true;
    },
  };
});
