/**
 * Sandboxed executions write to a staging folder; once every process of the
 * execution is killed, what it left is copied into the execution folder.
 * Only regular files and folders are copied (a symlink could point anywhere
 * outside the sandbox), within a total size, and a file the execution folder
 * already has is replaced only when the code owns it (results.json, figures/):
 * planted audit.jsonl, notebook.ipynb or attempts/ never replace pyexec's own.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../logging/logger.ts';

/** Past this many bytes in total, the rest of the staging folder is not copied. */
const maxCopiedBytes = 2 * 1024 * 1024 * 1024;
const replaceable = (relative: string) => relative === 'results.json' || relative.startsWith('figures/');

export function copyBack(staging: string, folder: string, logger: Logger): void {
  let copied = 0;
  const skipped: string[] = [];
  const walk = (relative: string) => {
    const from = join(staging, relative);
    for (const name of readdirSync(from)) {
      const child = relative === '' ? name : `${relative}/${name}`;
      if (child === 'context.json') continue;
      const stats = lstatSync(join(staging, child));
      const target = join(folder, child);
      if (stats.isDirectory()) {
        if (!existsSync(target)) mkdirSync(target);
        if (lstatSync(target).isDirectory()) walk(child);
        else skipped.push(child);
      } else if (stats.isFile() && (!existsSync(target) || replaceable(child)) && copied + stats.size <= maxCopiedBytes) {
        copyFileSync(join(staging, child), target);
        copied += stats.size;
      } else skipped.push(child);
    }
  };
  walk('');
  if (skipped.length > 0) logger.warn({ folder, skipped: skipped.slice(0, 20) }, 'files of the execution not copied back (links, clashes with pyexec files, or over the size cap)');
}
