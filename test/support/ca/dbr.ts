/**
 * DBR payloads: the 35 plain, STS, TIME, GR and CTRL types of the seven base
 * types, encoded from a PV's stored value (converted to the requested base
 * type, as an IOC converts), and decoded for writes (plain types only, which
 * is what libca's put sends).
 */

export type Scalar = number | string;

/** Base types in DBR numbering order: string, short, float, enum, char, long, double. */
const base = ['string', 'short', 'float', 'enum', 'char', 'long', 'double'] as const;
type Base = (typeof base)[number];

const elementSize: Record<Base, number> = { string: 40, short: 2, float: 4, enum: 2, char: 1, long: 4, double: 8 };

/**
 * Bytes before the value, per class (plain, sts, time, gr, ctrl) and base type:
 * the struct layouts of db_access.h, including their RISC padding.
 */
const prefix: Record<Base, readonly [number, number, number, number, number]> = {
  string: [0, 4, 12, 4, 4],
  short: [0, 4, 14, 24, 28],
  float: [0, 4, 12, 40, 48],
  enum: [0, 4, 14, 422, 422],
  char: [0, 5, 15, 19, 21],
  long: [0, 4, 12, 36, 44],
  double: [0, 8, 16, 64, 80],
};

const classes = { plain: 0, sts: 1, time: 2, gr: 3, ctrl: 4 } as const;
export const lastSupportedType = 34;

/** Seconds from the Unix epoch to the EPICS epoch (1990-01-01). */
const epicsEpoch = 631_152_000;

export const nativeType = { string: 0, long: 5, double: 6 } as const;

export interface Metadata {
  units: string;
  precision: number;
  timestamp: Date;
}

function split(type: number): { base: Base; cls: number } {
  const name = base[type % 7];
  if (type > lastSupportedType || !name) throw new Error(`unsupported DBR type ${type}`);
  return { base: name, cls: Math.floor(type / 7) };
}

function convert(value: Scalar, to: Base): Scalar {
  if (to === 'string') return typeof value === 'string' ? value : String(value);
  const number = typeof value === 'number' ? value : Number.parseFloat(value);
  return Number.isFinite(number) ? number : 0;
}

const clampTo = (low: number, high: number) => (value: Scalar): number =>
  Math.max(low, Math.min(high, Math.trunc(typeof value === 'number' ? value : 0)));
const numberOf = (value: Scalar): number => (typeof value === 'number' ? value : 0);

/** How each base type's element is written and read at an offset. */
const codec: Record<Base, { write(buffer: Buffer, offset: number, value: Scalar): void; read(buffer: Buffer, offset: number): Scalar }> = {
  string: {
    write: (buffer, offset, value) => void buffer.write(String(value).slice(0, 39), offset, 'latin1'),
    read: (buffer, offset) => {
      const raw = buffer.subarray(offset, Math.min(offset + 40, buffer.length));
      const end = raw.indexOf(0);
      return raw.subarray(0, end === -1 ? raw.length : end).toString('latin1');
    },
  },
  short: { write: (b, o, v) => void b.writeInt16BE(clampTo(-32768, 32767)(v), o), read: (b, o) => b.readInt16BE(o) },
  enum: { write: (b, o, v) => void b.writeUInt16BE(clampTo(0, 65535)(v), o), read: (b, o) => b.readUInt16BE(o) },
  char: { write: (b, o, v) => void b.writeUInt8(clampTo(0, 255)(v), o), read: (b, o) => b.readUInt8(o) },
  long: { write: (b, o, v) => void b.writeInt32BE(clampTo(-2147483648, 2147483647)(v), o), read: (b, o) => b.readInt32BE(o) },
  float: { write: (b, o, v) => void b.writeFloatBE(numberOf(v), o), read: (b, o) => b.readFloatBE(o) },
  double: { write: (b, o, v) => void b.writeDoubleBE(numberOf(v), o), read: (b, o) => b.readDoubleBE(o) },
};

/** Status and severity stay 0 (no alarm); the limits stay 0. */
function writeMetadata(buffer: Buffer, to: Base, cls: number, meta: Metadata): void {
  if (cls === classes.time) {
    const ms = meta.timestamp.getTime();
    buffer.writeUInt32BE(Math.floor(ms / 1000) - epicsEpoch, 4);
    buffer.writeUInt32BE((ms % 1000) * 1_000_000, 8);
  }
  if ((cls !== classes.gr && cls !== classes.ctrl) || to === 'string' || to === 'enum') return;
  const withPrecision = to === 'float' || to === 'double';
  if (withPrecision) buffer.writeInt16BE(meta.precision, 4);
  buffer.write(meta.units.slice(0, 7), withPrecision ? 8 : 4, 'latin1');
}

/** The payload for `type` carrying `count` elements of `values` (missing elements are zero). */
export function encodeDbr(type: number, count: number, values: readonly Scalar[], meta: Metadata): Buffer {
  const { base: to, cls } = split(type);
  const start = prefix[to][cls] ?? 0;
  const buffer = Buffer.alloc(start + count * elementSize[to]);
  writeMetadata(buffer, to, cls, meta);
  for (let index = 0; index < count && index < values.length; index += 1) {
    const value = values[index];
    if (value !== undefined) codec[to].write(buffer, start + index * elementSize[to], convert(value, to));
  }
  return buffer;
}

/** The elements of a write (a plain DBR type), or null for a type a put never carries. */
export function decodeWrite(type: number, count: number, payload: Buffer): Scalar[] | null {
  if (type > 6) return null;
  const { base: from } = split(type);
  const size = elementSize[from];
  const values: Scalar[] = [];
  // libca sends a single string as its characters only, not the full 40 bytes.
  const fits = (index: number): boolean => (from === 'string' ? index * size < payload.length : (index + 1) * size <= payload.length);
  for (let index = 0; index < count && fits(index); index += 1) {
    values.push(codec[from].read(payload, index * size));
  }
  return values;
}

/** A written element converted to the PV's native type. */
export function toNative(value: Scalar, native: 'string' | 'long' | 'double'): Scalar {
  const converted = convert(value, native);
  return native === 'long' && typeof converted === 'number' ? Math.trunc(converted) : converted;
}
