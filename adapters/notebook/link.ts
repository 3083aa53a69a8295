/**
 * Links to notebooks for people: through the Jupyter server when
 * `execution.jupyter.public_url` is configured (the server's root folder must
 * be the executions root), otherwise the notebook's absolute file path.
 *
 * API:
 *   notebookLink(config, notebookPath): string
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Config } from '../../config/schema.ts';

export type LinkConfig = {
  execution: { jupyter: Pick<Config['execution']['jupyter'], 'public_url'> };
  service: Pick<Config['service'], 'executions_root'>;
};

/**
 * `<public_url>/notebooks/<path relative to the executions root>`; a notebook
 * outside the root cannot be served by that server, so it gets its file path.
 */
export function notebookLink(config: LinkConfig, notebookPath: string): string {
  const absolute = resolve(notebookPath);
  const publicUrl = config.execution.jupyter.public_url;
  if (publicUrl === null) return absolute;
  const inRoot = relative(resolve(config.service.executions_root), absolute);
  if (inRoot === '' || inRoot === '..' || inRoot.startsWith(`..${sep}`) || isAbsolute(inRoot)) return absolute;
  return `${publicUrl.replace(/\/+$/, '')}/notebooks/${urlPath(inRoot)}`;
}

/** A relative path as a URL path: segments percent-encoded, parentheses too (markdown links). */
export function urlPath(path: string): string {
  return path
    .split(sep)
    .map((segment) => encodeURIComponent(segment).replace(/\(/g, '%28').replace(/\)/g, '%29'))
    .join('/');
}
