/**
 * Line and column of an offset in the code, and the line's text as an
 * excerpt. Lines are 1-based, columns 0-based in UTF-16 code units (what a
 * JavaScript editor shows); line 0 means "the whole file".
 */
const excerptLimit = 200;

export class SourceLines {
  /** Offset of the first character of each line. */
  private readonly starts: number[] = [0];

  constructor(private readonly code: string) {
    for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  position(index: number): { line: number; column: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] as number) <= index) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: index - (this.starts[low] as number) };
  }

  excerpt(line: number): string {
    const start = this.starts[line - 1];
    if (line <= 0 || start === undefined) return '';
    const next = this.starts[line];
    const text = this.code.slice(start, next === undefined ? undefined : next - 1).trim();
    return text.length > excerptLimit ? `${text.slice(0, excerptLimit - 3)}...` : text;
  }
}
