/** Reading files named on the command line, with errors that say what is wrong. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PyexecError } from '../protocol/errors.ts';

export class InputFileError extends PyexecError {
  constructor(message: string) {
    super('input_file', message);
    this.name = 'InputFileError';
  }
}

/** A code file: must exist, hold UTF-8 text, and not be empty. */
export function readCodeFile(path: string, what = 'code file'): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InputFileError(`${what} ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputFileError(`${what} ${path}: is not UTF-8 text`);
  }
  if (text.trim() === '') throw new InputFileError(`${what} ${path}: is empty`);
  return text;
}

/** A JSON file holding an object (the capability context). */
export function readJsonObject(path: string, what = 'context file'): Record<string, unknown> {
  const text = readCodeFile(path, what);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputFileError(`${what} ${path}: is not valid JSON (${(error as Error).message})`);
  }
  const parsed = z.record(z.string(), z.unknown()).safeParse(value);
  if (!parsed.success) throw new InputFileError(`${what} ${path}: must hold a JSON object`);
  return parsed.data;
}
