/**
 * Streamed tokens as progress events. Models emit a token every few
 * milliseconds; one bus event per token would flood watchers, so deltas are
 * gathered and sent as chunks. Concatenated, the chunks are the answer.
 */

export interface TokenReporter {
  push(delta: string): void;
  flush(): void;
}

export function tokenReporter(
  onProgress: ((message: string) => void) | undefined,
  options: { minChars: number; maxDelayMs: number } = { minChars: 80, maxDelayMs: 250 },
): TokenReporter {
  let buffer = '';
  let lastSent = Date.now();
  const flush = () => {
    if (buffer === '' || onProgress === undefined) return;
    onProgress(buffer);
    buffer = '';
    lastSent = Date.now();
  };
  return {
    push(delta) {
      buffer += delta;
      if (buffer.length >= options.minChars || Date.now() - lastSent >= options.maxDelayMs) flush();
    },
    flush,
  };
}
