/**
 * The Python files named by command-line paths, the way linters take them:
 * a file as given (whatever its extension), a folder searched recursively
 * for `*.py`, leaving out hidden folders, caches and virtual environments.
 * Sorted, so runs and reports compare line by line.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

const skippedFolders = new Set(['__pycache__', 'node_modules', 'venv', 'site-packages']);

export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathError';
  }
}

function walk(folder: string, found: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    throw new PathError(`${folder}: cannot be listed (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (!skippedFolders.has(entry.name)) walk(path, found);
    } else if (entry.isFile() && entry.name.endsWith('.py')) found.push(path);
  }
}

/** Every Python file under `paths`; a path that does not exist is an error naming it. */
export function pythonFiles(paths: readonly string[]): string[] {
  const found: string[] = [];
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch (error) {
      throw new PathError(`${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : String(error)}`);
    }
    if (isFolder) walk(path, found);
    else found.push(path);
  }
  return [...new Set(found)];
}
