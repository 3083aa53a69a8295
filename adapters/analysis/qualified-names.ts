/**
 * Qualified names (`epics.pv.PV`): their first part, and aliases that map a
 * module or a name to the one the tables use (`posix` is `os`, `PyTango` is
 * `tango`). Aliases are kept by first part, so most names (`numpy.asarray`)
 * are left alone after one look-up.
 */
export type Alias = readonly [from: string, to: string];

export function rootOf(qname: string): string {
  const dot = qname.indexOf('.');
  return dot === -1 ? qname : qname.slice(0, dot);
}

export class QualifiedNameAliases {
  private readonly byRoot = new Map<string, Alias[]>();

  constructor(aliases: Iterable<Alias>) {
    for (const alias of aliases) {
      const root = rootOf(alias[0]);
      this.byRoot.set(root, [...(this.byRoot.get(root) ?? []), alias]);
    }
  }

  /** `qname` with the first alias that covers it (the name itself or a prefix up to a dot) replaced. */
  normalize(qname: string): string {
    for (const [from, to] of this.byRoot.get(rootOf(qname)) ?? []) {
      if (qname === from || qname.startsWith(`${from}.`)) return to + qname.slice(from.length);
    }
    return qname;
  }
}
