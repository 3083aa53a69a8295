/**
 * The library tables merged into the look-ups the analysis makes: by
 * qualified name, a function's or a class's spec and the library it belongs
 * to. Built once per analyzer (the configuration may add libraries).
 */
import { QualifiedNameAliases } from '../qualified-names.ts';
import type { ClassSpec, LibraryModel, MethodSpec } from './model.ts';

export interface Modelled<T> {
  spec: T;
  library: string;
}

/** What calling a method of a control object does, with the library it is from. */
export interface MethodCall {
  library: string;
  method: MethodSpec;
  /** True when the method is not in the table and is taken as `otherMethods` (a Tango command). */
  other: boolean;
}

export class ControlModel {
  private readonly functions = new Map<string, Modelled<MethodSpec>>();
  private readonly classes = new Map<string, Modelled<ClassSpec>>();
  private readonly aliases: QualifiedNameAliases;
  private readonly injectedNames = new Map<string, string>();
  private readonly native: string[] = [];
  /** Last parts of the names of every write (`caput`, `put`, `write_attribute`): what `operator.methodcaller("put")` may reach. */
  readonly writeNames = new Set<string>();

  constructor(readonly libraries: readonly LibraryModel[]) {
    this.aliases = new QualifiedNameAliases(libraries.flatMap((library) => library.aliases ?? []));
    for (const library of libraries) {
      for (const [qname, spec] of Object.entries(library.functions ?? {})) {
        this.functions.set(qname, { spec, library: library.library });
        if (spec.call?.access === 'write') this.writeNames.add(qname.slice(qname.lastIndexOf('.') + 1));
      }
      for (const [qname, spec] of Object.entries(library.classes ?? {})) {
        this.classes.set(qname, { spec, library: library.library });
        for (const [name, method] of Object.entries(spec.methods)) if (method.call?.access === 'write') this.writeNames.add(name);
      }
      for (const [name, qname] of Object.entries(library.injected ?? {})) this.injectedNames.set(name, qname);
      this.native.push(...(library.native ?? []));
    }
  }

  /** The name the tables use for `qname` (`epics.pv.PV` is `epics.PV`, `PyTango` is `tango`). */
  normalize(qname: string): string {
    return this.aliases.normalize(qname);
  }

  function(qname: string): Modelled<MethodSpec> | undefined {
    return this.functions.get(qname);
  }

  classOf(qname: string): Modelled<ClassSpec> | undefined {
    return this.classes.get(qname);
  }

  /** The method `name` of objects of class `of`, or the class's rule for other methods. */
  method(of: string, name: string): MethodCall | undefined {
    const cls = this.classes.get(of);
    if (cls === undefined) return undefined;
    const method = cls.spec.methods[name];
    if (method !== undefined) return { library: cls.library, method, other: false };
    const other = cls.spec.otherMethods;
    if (other === undefined || cls.spec.plain?.includes(name) === true || name.startsWith('_')) return undefined;
    return { library: cls.library, method: { call: other }, other: true };
  }

  /** `epics.PV.put` named through its class: the class and the method. */
  unboundMethod(qname: string): { of: string; call: MethodCall } | undefined {
    const dot = qname.lastIndexOf('.');
    if (dot === -1) return undefined;
    const of = qname.slice(0, dot);
    const call = this.method(of, qname.slice(dot + 1));
    return call === undefined ? undefined : { of, call };
  }

  /** The qualified name a runtime-provided name stands for where the code does not bind it (`write_channel`). */
  injected(name: string): string | undefined {
    return this.injectedNames.get(name);
  }

  get injectedNamesList(): string[] {
    return [...this.injectedNames.keys()];
  }

  /** Whether `qname` is (or is inside) native code a library loads (`epics.ca.libca`). */
  isNative(qname: string): boolean {
    // every qualified name of a call comes here: most are far from any native prefix (`numpy.asarray`)
    for (const prefix of this.native) if (qname.startsWith(prefix) && (qname.length === prefix.length || qname.charCodeAt(prefix.length) === 46)) return true;
    return false;
  }

  /** Whether a reference to `qname` may be reported: a modelled function, a method named through its class, or native code. */
  mayMatter(qname: string): boolean {
    return this.functions.get(qname)?.spec.call !== undefined || this.unboundMethod(qname) !== undefined || this.isNative(qname);
  }
}

/** How many calls (and attribute rules) a library's table models: the figure the docs and the report give. */
export function modelledCalls(library: LibraryModel): number {
  let count = Object.values(library.functions ?? {}).length;
  for (const cls of Object.values(library.classes ?? {})) {
    count += Object.keys(cls.methods).length;
    if (cls.readAttributes !== undefined && cls.readAttributes.length > 0) count++;
    if (cls.writeAttributes !== undefined && cls.writeAttributes.length > 0) count++;
    if (cls.otherMethods !== undefined) count++;
  }
  return count;
}

