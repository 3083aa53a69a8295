/**
 * Where identifiers may be, read from the text: every word of the code, with
 * its offsets. A file has thousands of identifiers and few of them matter to
 * any rule (`arr`, `np`, `value` do not), and selecting each one from the wasm
 * tree costs more than the rest of the analysis. So the inspector resolves
 * each word's name first, and asks the syntax tree only about the words whose
 * name may matter; the tree then decides whether the word is an identifier at
 * all (and not a keyword, or text in a string or a comment).
 */
const word = /[\p{ID_Start}_][\p{ID_Continue}]*/gu;

export interface Word {
  name: string;
  /** Offsets into the code (UTF-16 code units), like the syntax tree's. */
  start: number;
  end: number;
}

export function words(code: string): Word[] {
  const found: Word[] = [];
  for (const match of code.matchAll(word)) found.push({ name: match[0], start: match.index, end: match.index + match[0].length });
  return found;
}
