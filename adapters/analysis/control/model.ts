/**
 * The shape of a control-system client library as the analyzer sees it: its
 * functions, its classes and their methods, each with what it does to the
 * control system (read, write, nothing), where the call names its PVs, where
 * a write's value is, and what object it returns. One table per library
 * (control/<library>.ts) is written against that library's documentation, so
 * a reader can check it line by line; the configuration adds tables for
 * libraries that are not built in (control/extensions.ts).
 */
export type Access = 'read' | 'write';

/** An argument, by position and by keyword (Python lets a caller use either). */
export interface ArgRef {
  index: number;
  keyword: string;
}

/** Where a call names the PVs it touches. */
export type PvSpec =
  /** One name, or a list or tuple of names (`caput("A", 1)`, `caget_many(["A", "B"])`). */
  | { kind: 'arg'; arg: ArgRef }
  /** The object's own name, from its constructor (`PV("A").put(1)`). */
  | { kind: 'self' }
  /** The object's name joined to an argument (`Device("P:").put("VAL", 1)` is `P:VAL`; Tango `d/attr`). */
  | { kind: 'self+arg'; arg: ArgRef; join: string }
  /** The keys of a dict literal, whose values are the values written (`write_channels({"A": 1})`). */
  | { kind: 'keys'; arg: ArgRef }
  /** Alternating objects and values (`bps.mv(m1, 1, m2, 2)`). */
  | { kind: 'pairs' }
  /** An object, or a list of objects, whose own names are the PVs (`bps.abs_set(motor, 1)`). */
  | { kind: 'objects'; arg: ArgRef }
  /** `[(name, value), ...]` (Tango `write_attributes`), names joined to the object's name. */
  | { kind: 'self+tuples'; arg: ArgRef; join: string }
  /** The object's name joined to the method's own name (a Tango command called as a method: `proxy.On()`). */
  | { kind: 'self+name'; join: string }
  /** Not named in the call (a channel id, a served PV whose name is given elsewhere). */
  | { kind: 'none' };

export interface CallSpec {
  access: Access;
  pv: PvSpec;
  /** Where the value of a write is; absent for reads and for writes without one (`Motor.stop`). */
  value?: ArgRef;
  /** One line for the docs when the call is not what its name says (`rpc` asks a server to act). */
  note?: string;
}

/** A call that returns a control object (`get_pv("A")` returns a PV named "A"). */
export interface ReturnSpec {
  /** Qualified name of the class in a library table. */
  of: string;
  /** Where the returned object's name is in the call; absent: the object has no name of its own. */
  name?: ArgRef;
  /** The call returns a list of objects, one per positional argument (`ctx.get_pvs("A", "B")`). */
  many?: boolean;
}

export interface MethodSpec {
  call?: CallSpec;
  returns?: ReturnSpec;
}

export interface ClassSpec {
  /** Where the constructor takes the object's name (the PV, device or prefix); absent: nameless (a client context). */
  name?: ArgRef;
  /** Where the constructor may name another PV that writes go to (ophyd's `write_pv`); when the call leaves it out, writes go to the object's name. */
  writeName?: ArgRef;
  /** Appended to the object's name for what it reads (ophyd's `EpicsSignalWithRBV("P")` reads `P_RBV` and writes `P`). */
  readSuffix?: string;
  /** Methods that read, write or return control objects; every other method does nothing the analyzer reports. */
  methods: Readonly<Record<string, MethodSpec>>;
  /** Attributes whose loading reads the control system: a list, or `any` attribute not a method (Tango). */
  readAttributes?: readonly string[] | 'any';
  /** Attribute assignment writes: any attribute (`pv.value = 1`, `proxy.attr = 1`), or those listed. */
  writeAttributes?: readonly string[] | 'any';
  /** How an attribute name joins the object's name for the PV it reads or writes; absent: the object's own name. */
  attributeJoin?: string;
  /** Calls of methods not in `methods` nor `plain` (Tango: a method call runs a device command). */
  otherMethods?: CallSpec;
  /** Methods known to do nothing reportable, for classes with `otherMethods`. */
  plain?: readonly string[];
  /** Attributes that are not methods are sub-devices of this class (ophyd components). */
  components?: string;
}

export interface LibraryModel {
  /** The name PvAccess.library carries (`pyepics`, `p4p`, ...). */
  library: string;
  /** Where the table was checked. */
  documentation: string;
  /** Other import paths of the same objects, mapped to the names the table uses. */
  aliases?: ReadonlyArray<readonly [string, string]>;
  /** Module-level functions, by qualified name. */
  functions?: Readonly<Record<string, MethodSpec>>;
  /** Classes, by qualified name. */
  classes?: Readonly<Record<string, ClassSpec>>;
  /** Names the runtime provides without an import (Osprey's helpers), mapped to their qualified names. */
  injected?: Readonly<Record<string, string>>;
  /** Qualified names (or prefixes ending in `.`) that load native code which blocks or bypasses the client. */
  native?: readonly string[];
}

export const arg = (index: number, keyword: string): ArgRef => ({ index, keyword });
export const read = (pv: PvSpec): MethodSpec => ({ call: { access: 'read', pv } });
export const write = (pv: PvSpec, value?: ArgRef, note?: string): MethodSpec => ({
  call: { access: 'write', pv, ...(value === undefined ? {} : { value }), ...(note === undefined ? {} : { note }) },
});
export const self: PvSpec = { kind: 'self' };
export const named = (index: number, keyword: string): PvSpec => ({ kind: 'arg', arg: arg(index, keyword) });
export const none: PvSpec = { kind: 'none' };
