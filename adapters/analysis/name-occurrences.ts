/**
 * Where identifiers may be, read from the text: every word of the code, or
 * every occurrence of a few names, with their offsets. A file has thousands
 * of identifiers and few of them matter to any rule (`arr`, `np`, `value` do
 * not), and selecting each one from the wasm tree costs more than the rest of
 * the analysis. So the inspector works out which names may matter first, and
 * asks the syntax tree only about their occurrences; the tree then decides
 * whether the word is an identifier at all (and not a keyword, or text in a
 * string or a comment).
 */
const word = /[\p{ID_Start}_][\p{ID_Continue}]*/gu;
const wordStart = /^[\p{ID_Start}_]$/u;
const wordPart = /^\p{ID_Continue}$/u;

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

/** The words of `words(code)` spelled like one of `names` (identifiers), found without splitting the whole text. */
export function occurrences(code: string, names: ReadonlySet<string>): Word[] {
  if (names.size === 0) return [];
  const alternatives = [...names].map((name) => name.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')).join('|');
  const found: Word[] = [];
  for (const match of code.matchAll(new RegExp(`(?:${alternatives})(?!\\p{ID_Continue})`, 'gu'))) {
    if (startsWord(code, match.index)) found.push({ name: match[0], start: match.index, end: match.index + match[0].length });
  }
  return found;
}

/**
 * Whether a word of `words(code)` starts at `index`: it does unless an
 * earlier character of the same run of word characters starts a word (digits
 * do not: `1e` holds the word `e`). One run is walked at most once, since a
 * match must end where its run ends.
 */
function startsWord(code: string, index: number): boolean {
  for (let i = index; i > 0; ) {
    const surrogatePair = i > 1 && isLowSurrogate(code.charCodeAt(i - 1)) && isHighSurrogate(code.charCodeAt(i - 2));
    i -= surrogatePair ? 2 : 1;
    const previous = String.fromCodePoint(code.codePointAt(i) as number);
    if (!wordPart.test(previous)) return true;
    if (wordStart.test(previous)) return false;
  }
  return true;
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;
