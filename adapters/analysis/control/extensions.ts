/**
 * Libraries from the configuration (`analysis.libraries`), turned into the
 * same tables as the built-in ones, so a facility's own client is analysed
 * like pyepics: its calls resolved through imports and aliases, its PVs named,
 * its write values shown.
 */
import type { Config } from '../../../config/schema.ts';
import type { ArgRef, CallSpec, ClassSpec, LibraryModel, MethodSpec, PvSpec } from './model.ts';

type Configured = Config['analysis']['libraries'][number];
type ConfiguredCall = Configured['functions'][string];
type ConfiguredArgument = { arg: number; keyword?: string | undefined };

const argumentOf = (ref: ConfiguredArgument): ArgRef => ({ index: ref.arg, keyword: ref.keyword ?? '' });

function pvOf(pv: ConfiguredCall['pv']): PvSpec {
  if (pv === 'self') return { kind: 'self' };
  if (pv === 'none') return { kind: 'none' };
  return { kind: 'arg', arg: argumentOf(pv) };
}

function methodOf(call: ConfiguredCall): MethodSpec {
  const spec: CallSpec = { access: call.access, pv: pvOf(call.pv) };
  if (call.value !== undefined) spec.value = argumentOf(call.value);
  return { call: spec };
}

const mapValues = <T, U>(record: Record<string, T>, fn: (value: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));

function classOf(cls: Configured['classes'][string]): ClassSpec {
  const spec: ClassSpec = { methods: mapValues(cls.methods, methodOf) };
  if (cls.name !== undefined) spec.name = argumentOf(cls.name);
  if (cls.read_attributes.length > 0) spec.readAttributes = cls.read_attributes;
  if (cls.write_attributes.length > 0) spec.writeAttributes = cls.write_attributes;
  return spec;
}

export function configuredLibraries(libraries: readonly Configured[]): LibraryModel[] {
  return libraries.map((library) => ({
    library: library.library,
    documentation: 'analysis.libraries in the configuration',
    functions: mapValues(library.functions, methodOf),
    classes: mapValues(library.classes, classOf),
  }));
}
