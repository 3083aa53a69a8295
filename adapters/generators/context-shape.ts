/**
 * Describes what `context` holds — keys, Python types and shapes — without
 * ever showing a value: context data can be large, and values in a prompt
 * tempt the model to hard-code them instead of reading them.
 */

export interface ContextShapeOptions {
  /** Nesting levels described below the top-level keys. */
  maxDepth: number;
  /** Keys listed per dict; the rest are counted. */
  maxKeys: number;
}

/** Elements inspected to name a list's element type: enough to see mixtures, bounded for huge arrays. */
const sampledElements = 1000;

function pythonType(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'dict';
  return typeof value;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function isDict(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `float`, `int | None`; ints among floats read as float, as Python code would treat them. */
function elementType(items: readonly unknown[]): string {
  const types = new Set(items.slice(0, sampledElements).map(pythonType));
  if (types.has('float') && types.has('int')) types.delete('int');
  return [...types].sort().join(' | ') || 'nothing';
}

/** One-line summary: `dict with 3 keys`, `list of 3600 float`, `list of 3 list of 100 float`. */
function summary(value: unknown): string {
  if (isDict(value)) return `dict with ${plural(Object.keys(value).length, 'key')}`;
  if (!Array.isArray(value)) return pythonType(value);
  if (value.length === 0) return 'empty list';
  const inner = elementType(value);
  const first = value[0];
  if (inner === 'list' && Array.isArray(first) && value.every((item) => Array.isArray(item) && item.length === first.length)) {
    return `list of ${value.length} ${summary(first)}`;
  }
  return `list of ${value.length} ${inner}`;
}

/** The values each key takes across the first dicts of a list: the shape of "each item". */
function itemShape(items: readonly unknown[]): Map<string, unknown[]> {
  const shape = new Map<string, unknown[]>();
  for (const item of items.slice(0, 20)) {
    if (!isDict(item)) continue;
    for (const [key, value] of Object.entries(item)) shape.set(key, [...(shape.get(key) ?? []), value]);
  }
  return shape;
}

function describeInto(lines: string[], label: string, value: unknown, depth: number, options: ContextShapeOptions): void {
  const indent = '  '.repeat(depth);
  lines.push(`${indent}- ${label}: ${summary(value)}`);
  if (depth >= options.maxDepth) return;
  const children = isDict(value)
    ? new Map(Object.entries(value).map(([key, child]) => [key, [child]]))
    : Array.isArray(value)
      ? itemShape(value)
      : new Map<string, unknown[]>();
  const prefix = isDict(value) ? '' : 'each item ';
  for (const [key, samples] of [...children].slice(0, options.maxKeys)) {
    const childLabel = `${prefix}[${JSON.stringify(key)}]`;
    const types = new Set(samples.map(pythonType));
    // Items disagreeing on a key's type get the union; agreeing ones are described from the first.
    if (types.size > 1) lines.push(`${indent}  - ${childLabel}: ${elementType(samples)}`);
    else describeInto(lines, childLabel, samples[0], depth + 1, options);
  }
  if (children.size > options.maxKeys) lines.push(`${indent}  - … and ${children.size - options.maxKeys} more keys`);
}

export function describeContext(context: Record<string, unknown>, options: ContextShapeOptions): string {
  const keys = Object.keys(context);
  if (keys.length === 0) return '`context` is empty: this task has no input data.';
  const lines: string[] = [];
  for (const key of keys.slice(0, options.maxKeys)) {
    describeInto(lines, `context[${JSON.stringify(key)}]`, context[key], 0, options);
  }
  if (keys.length > options.maxKeys) lines.push(`- … and ${keys.length - options.maxKeys} more keys`);
  return lines.join('\n');
}
