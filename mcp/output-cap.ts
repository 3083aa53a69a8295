/**
 * Keeps a tool result small enough for an agent's context: long output is
 * cut in the middle (the start says what ran, the end holds the error), with
 * a note saying where the whole text is.
 */
export function capText(text: string, maxChars: number, whereFull: string): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  const half = Math.floor(maxChars / 2);
  const cut = text.length - 2 * half;
  return { text: `${text.slice(0, half)}\n… [${cut} characters cut; the whole output is in ${whereFull}] …\n${text.slice(-half)}`, truncated: true };
}
