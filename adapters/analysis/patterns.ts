/**
 * The seeds' configurable control-system patterns
 * (`control_system.patterns.write / read`), kept so a facility can name its
 * own connectors (`write_channel(`). They are regular expressions over source
 * text, so they are matched against the text of one call at a time — the
 * callee as written and as resolved, followed by `(` — and only for calls the
 * analyzer could not place in a known namespace: a regex cannot tell
 * `dict.get(` from `pv.get(`, the syntax tree can.
 */
import type { Access } from './control-access.ts';

export interface PatternMatch {
  access: Access;
  pattern: string;
}

export interface PatternMatcher {
  /** Writes win over reads: a write pattern match is never downgraded. */
  match(candidates: readonly string[]): PatternMatch | null;
}

export function compilePatterns(patterns: { write: readonly string[]; read: readonly string[] }): PatternMatcher {
  const compiled = [
    ...patterns.write.map((source) => ({ access: 'write' as const, source, regex: new RegExp(source) })),
    ...patterns.read.map((source) => ({ access: 'read' as const, source, regex: new RegExp(source) })),
  ];
  return {
    match(candidates) {
      for (const { access, source, regex } of compiled) {
        if (candidates.some((text) => regex.test(text))) return { access, pattern: source };
      }
      return null;
    },
  };
}
