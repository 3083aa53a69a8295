/**
 * Files of an execution the page may show: its figures and its notebook,
 * resolved inside the execution folder only (symlinks included).
 */
import { readdir, realpath } from 'node:fs/promises';
import { extname, join, relative, isAbsolute } from 'node:path';
import { attemptsDir, finalNotebookFile } from '../adapters/store/layout.ts';

export const figureTypes: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.svg': 'image/svg+xml' };

/** The real path of `path` when it lies inside `folder`; null otherwise or when it does not exist. */
export async function insideFolder(folder: string, path: string): Promise<string | null> {
  try {
    const [root, file] = await Promise.all([realpath(folder), realpath(path)]);
    const rel = relative(root, file);
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? null : file;
  } catch {
    return null;
  }
}

export function figureType(path: string): string | null {
  return figureTypes[extname(path).toLowerCase()] ?? null;
}

/** The final notebook when there is one, else the latest attempt notebook, else null. */
export async function currentNotebook(folder: string): Promise<string | null> {
  const final = await insideFolder(folder, join(folder, finalNotebookFile));
  if (final) return final;
  let attempts: string[];
  try {
    attempts = (await readdir(join(folder, attemptsDir))).filter((name) => name.endsWith('.ipynb')).sort();
  } catch {
    return null;
  }
  const latest = attempts.at(-1);
  return latest ? insideFolder(folder, join(folder, attemptsDir, latest)) : null;
}
