/**
 * Finds the Python in a model's answer. Real output has prose around fences,
 * several blocks (imports apart, an example, a corrected version), `py` /
 * `python3` / bare fences, fences cut off by the token limit, no fences at
 * all, and thinking text. When nothing in it is code, the caller fails the
 * attempt and keeps the raw answer.
 */

export interface ExtractedCode {
  code: string;
  /** How the code was found: `fenced`, `unterminated` (cut off by the token limit) or `bare` (no fences). */
  source: 'fenced' | 'unterminated' | 'bare';
}

interface FencedBlock {
  language: string;
  code: string;
  closed: boolean;
}

const pythonLanguages = new Set(['python', 'py', 'python3', 'py3', 'ipython', 'ipython3']);
const thinkingTags = ['think', 'thinking', 'reasoning', 'reflection'];

/** Drops reasoning text: complete tag pairs, a closing tag whose opening was eaten by the server, an unclosed opening. */
export function stripThinking(text: string): string {
  let result = text;
  for (const tag of thinkingTags) {
    result = result.replace(new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`, 'gi'), '');
    const close = result.search(new RegExp(`</${tag}>`, 'i'));
    if (close >= 0) result = result.slice(close + tag.length + 3);
    const open = result.search(new RegExp(`<${tag}>`, 'i'));
    if (open >= 0) result = result.slice(0, open);
  }
  return result;
}

const fenceOpening = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;

function dedent(line: string, indent: string): string {
  return line.startsWith(indent) ? line.slice(indent.length) : line.trimStart();
}

/** CommonMark-style fences: a closing fence uses the same character, at least as long, nothing after it. */
export function fencedBlocks(text: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = text.split(/\r?\n/);
  let open: { indent: string; fence: string; language: string; lines: string[] } | undefined;
  for (const line of lines) {
    if (open === undefined) {
      const match = fenceOpening.exec(line);
      if (match) open = { indent: match[1] ?? '', fence: match[2] ?? '```', language: (match[3] ?? '').toLowerCase(), lines: [] };
      continue;
    }
    const trimmed = line.trim();
    const closes = trimmed.length >= open.fence.length && trimmed === open.fence[0]!.repeat(trimmed.length);
    if (closes) {
      blocks.push({ language: open.language, code: open.lines.join('\n'), closed: true });
      open = undefined;
    } else {
      open.lines.push(dedent(line, open.indent));
    }
  }
  if (open !== undefined) blocks.push({ language: open.language, code: open.lines.join('\n'), closed: false });
  return blocks.filter((block) => block.code.trim() !== '');
}

const assignsResults = /^results\s*(:[^=\n]*)?=|^results\s*\[[^\n]*\]\s*=|^results\.update\(/m;
const importLine = /^(import\s+\S|from\s+\S+\s+import\s)/;

/** The block that holds the program: the last one that fills `results` (a corrected version comes last), else the longest. */
function chooseBlock(candidates: readonly FencedBlock[]): number {
  for (let index = candidates.length - 1; index >= 0; index -= 1) {
    if (assignsResults.test(candidates[index]!.code)) return index;
  }
  let longest = 0;
  candidates.forEach((block, index) => {
    if (block.code.length > candidates[longest]!.code.length) longest = index;
  });
  return longest;
}

/** Imports the model put in an earlier block ("first install and import…"): idempotent, so safe to carry over. */
function importsFromEarlierBlocks(candidates: readonly FencedBlock[], chosen: number): string[] {
  const present = new Set(candidates[chosen]!.code.split('\n').map((line) => line.trim()));
  const carried = new Set<string>();
  for (const block of candidates.slice(0, chosen)) {
    for (const line of block.code.split('\n')) {
      if (importLine.test(line) && !present.has(line.trim())) carried.add(line.trim());
    }
  }
  return [...carried];
}

const codeLine =
  /^(\s+\S|import\s|from\s+\S+\s+import\s|def\s|class\s|async\s|for\s|while\s|if\s|elif\s|else\s*:|try\s*:|except\b|finally\s*:|with\s|return\b|raise\b|assert\b|del\s|pass\b|break\b|continue\b|global\s|#|@|[A-Za-z_][\w.]*(\[[^\]]*\])*\s*(:[^=]+)?([-+*/%&|^]|\/\/|\*\*)?=[^=]|[A-Za-z_][\w.]*\(|[)\]}])/;
const strongCodeLine = /^(import\s|from\s+\S+\s+import\s|def\s|class\s|results\b|[A-Za-z_][\w.]*\s*=[^=])/;
const bulletLine = /^\s*([-*+]|\d+[.)])\s/;

function isCodeLine(line: string): boolean {
  return line.trim() === '' || (codeLine.test(line) && !bulletLine.test(line));
}

/** No fences: the span from the first to the last code-looking line, when it is mostly code and clearly code somewhere. */
function bareCode(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  const codeIndexes = lines.flatMap((line, index) => (line.trim() !== '' && isCodeLine(line) ? [index] : []));
  const first = codeIndexes[0];
  const last = codeIndexes.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const span = lines.slice(first, last + 1);
  const nonBlank = span.filter((line) => line.trim() !== '');
  const codeShare = nonBlank.filter(isCodeLine).length / nonBlank.length;
  if (codeShare < 0.8 || !span.some((line) => strongCodeLine.test(line))) return undefined;
  return span.join('\n');
}

function finish(code: string): string {
  return code.replace(/^\s*\n/, '').replace(/\s+$/, '') + '\n';
}

export function extractCode(response: string): ExtractedCode | undefined {
  const text = stripThinking(response);
  const blocks = fencedBlocks(text);
  const python = blocks.filter((block) => pythonLanguages.has(block.language));
  const candidates = python.length > 0 ? python : blocks.filter((block) => block.language === '');
  if (candidates.length > 0) {
    const chosen = chooseBlock(candidates);
    const block = candidates[chosen]!;
    const code = [...importsFromEarlierBlocks(candidates, chosen), block.code].join('\n');
    return { code: finish(code), source: block.closed ? 'fenced' : 'unterminated' };
  }
  if (blocks.length > 0) return undefined; // only other languages (bash, json, output): not a program
  const bare = bareCode(text.replace(/^\s*(python3?|py)\s*\n/i, ''));
  return bare === undefined ? undefined : { code: finish(bare), source: 'bare' };
}
