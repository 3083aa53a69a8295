/**
 * The field types the messages share: ids, names, times and hashes. Each is
 * checked where it enters, so an id or a folder name that reaches a path or a
 * subject is already known to be safe there.
 */
import { z } from 'zod';

export const nonEmptySchema = z.string().min(1, 'must be a non-empty string');
export const isoTimeSchema = z.string().datetime({ offset: true });
export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in lowercase hex');

/** Folder names come from callers and end up in paths: no separators, no '..'. */
export const folderNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-", starting with a letter or digit')
  .refine((s) => !s.includes('..'), 'must not contain ".." (no path escapes)');

export const executionIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{7,63}$/, 'must be 8-64 lowercase letters, digits or "-"');
