/**
 * Which scope a node is in, from positions alone: a scope covers the body of
 * its function, lambda or class, or a whole comprehension. Regions nest
 * (never overlap partially), so the innermost region around a node is on the
 * enclosing chain of the last region starting at or before it.
 */
import type { ScopeOpener } from './selection.ts';
import type { SyntaxNode } from './syntax-node.ts';

/** A node, or a stretch of text known to hold one (an identifier). */
export type Span = SyntaxNode | { readonly start: number; readonly end: number };

interface Region<S> {
  opener: ScopeOpener;
  start: number;
  end: number;
  enclosing: Region<S> | null;
  scope: S;
}

function contains<S>(region: Region<S>, node: Span): boolean {
  if (node === region.opener.node || node.start < region.start || node.start >= region.end) return false;
  // a call or attribute on a comprehension starts where it does but is outside it
  return node.start > region.start || node.end <= region.end;
}

export class ScopeRegions<S> {
  private readonly regions: Array<Region<S>> = [];

  /** `openers` in source order of their bodies, outer first; `scopeFor` receives the scope around each opener. */
  constructor(
    openers: readonly ScopeOpener[],
    private readonly outermost: S,
    scopeFor: (opener: ScopeOpener, around: S) => S,
  ) {
    const open: Array<Region<S>> = [];
    for (const opener of openers) {
      const start = opener.body.start;
      while (open.length > 0 && (open.at(-1) as Region<S>).end <= start) open.pop();
      const around = this.scopeAt(opener.node);
      const region: Region<S> = { opener, start, end: opener.node.end, enclosing: open.at(-1) ?? null, scope: outermost };
      region.scope = scopeFor(opener, around);
      this.regions.push(region);
      open.push(region);
    }
  }

  scopeAt(node: Span): S {
    let low = 0;
    let high = this.regions.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((this.regions[middle] as Region<S>).start <= node.start) low = middle + 1;
      else high = middle - 1;
    }
    for (let region = this.regions[high] ?? null; region !== null; region = region.enclosing) {
      if (contains(region, node)) return region.scope;
    }
    return this.outermost;
  }
}
