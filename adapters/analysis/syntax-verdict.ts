/**
 * The syntax verdict of an analysis is Python's (python-syntax.ts): its
 * error, at its line and column, with its message, replaces the parser's
 * guesses. Where Python could not be asked, the parser's verdict stands and
 * a finding says so; where Python accepts code the parser could not fully
 * read, the parts it could not read were not inspected, which blocks.
 */
import type { RawFinding } from './inspector.ts';
import type { PythonVerdict } from './python-syntax.ts';

/** The offset of Python's (1-based line, 1-based character column) in `code`, in UTF-16 units. */
function offsetOf(code: string, line: number, offset: number): number {
  let start = 0;
  for (let current = 1; current < line; current++) {
    const newline = code.indexOf('\n', start);
    if (newline === -1) return code.length;
    start = newline + 1;
  }
  const end = code.indexOf('\n', start);
  const text = code.slice(start, end === -1 ? code.length : end);
  // Python counts characters (code points); the analysis counts UTF-16 units like JavaScript editors
  return start + [...text].slice(0, Math.max(0, offset - 1)).join('').length;
}

export function applyVerdict(
  code: string,
  found: readonly RawFinding[],
  parserValid: boolean,
  verdict: PythonVerdict,
): { found: RawFinding[]; syntaxValid: boolean } {
  if (verdict.kind === 'unavailable') {
    const message = `Python's own syntax check could not run (${verdict.why}); the verdict is the analyzer's parser's, which accepts some code Python refuses`;
    return { found: [...found, { rule: 'syntax.python_unavailable', message, index: null }], syntaxValid: parserValid };
  }
  const parserErrors = found.filter((f) => f.rule === 'syntax.error');
  const rest = found.filter((f) => f.rule !== 'syntax.error');
  if (verdict.kind === 'invalid') {
    const index = verdict.line > 0 ? offsetOf(code, verdict.line, verdict.offset) : null;
    return { found: [{ rule: 'syntax.error', message: verdict.message, index }, ...rest], syntaxValid: false };
  }
  if (parserValid) return { found: rest, syntaxValid: true };
  const message = "Python accepts this code, but the analyzer's parser could not read it here, so this part was not inspected";
  return { found: [{ rule: 'analysis.partial', message, index: parserErrors[0]?.index ?? null }, ...rest], syntaxValid: true };
}
