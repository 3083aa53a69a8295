/**
 * What a string literal says, read from its source text: the same value the
 * syntax tree gives (the raw text of its content, up to the first `{...}` of
 * an f-string), without the several wasm calls per string that reading its
 * parts costs. Only for trees without syntax errors, where the literal is
 * the prefix, the quotes and the content the text shows; anything unusual
 * (a backslash in an f-string, where `\N{...}` is not an interpolation, or a
 * backquote) is left to the tree.
 */
import type { StaticText } from './resolver.ts';

const isPrefixLetter = (c: string) => 'rRbBuUfFtT'.includes(c);
const isFormatLetter = (c: string) => 'fFtT'.includes(c);

/** The value of the `string` node whose text is `source`, or undefined when the tree must be asked. */
export function literalText(source: string): StaticText | undefined {
  let prefix = 0;
  let format = false;
  for (; prefix < source.length && isPrefixLetter(source.charAt(prefix)); prefix++) {
    if (isFormatLetter(source.charAt(prefix))) format = true;
  }
  const quote = source.charAt(prefix);
  if (quote !== '"' && quote !== "'") return undefined;
  const delimiter = source.startsWith(quote.repeat(3), prefix) ? quote.repeat(3) : quote;
  const start = prefix + delimiter.length;
  const end = source.length - delimiter.length;
  if (end < start || !source.endsWith(delimiter)) return undefined;
  if (!format) return { value: source.slice(start, end), complete: true };
  if (source.includes('\\', start)) return undefined;
  // `{{` is an escaped brace, part of the content; any other `{` opens an interpolation
  for (let i = start; i < end; i++) {
    if (source.charAt(i) !== '{') continue;
    if (source.charAt(i + 1) !== '{') return { value: source.slice(start, i), complete: false };
    i++;
  }
  return { value: source.slice(start, end), complete: true };
}
