/**
 * An execution's figures as the agent gets them: read from its folder, only
 * those the summary lists and only inside its figures/ folder (a name from a
 * resource URI never reaches outside it).
 */
import { readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';

/** Where an execution's figures are: its folder and the paths its result lists. */
export interface FigureSource {
  folder: string;
  figures: readonly string[];
}

const mimeTypes: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.svg': 'image/svg+xml', '.gif': 'image/gif' };

export interface Figure {
  name: string;
  mimeType: string;
  /** base64 */
  data: string;
}

export function figureMimeType(name: string): string {
  return mimeTypes[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

export function figureNames(source: FigureSource): string[] {
  return source.figures.map((path) => basename(path));
}

/** The figure called `name`, or null when the execution has none of that name (or it is gone). */
export async function readFigure(source: FigureSource, name: string): Promise<Figure | null> {
  if (!figureNames(source).includes(name)) return null;
  const figuresDir = resolve(source.folder, 'figures');
  const path = resolve(figuresDir, name);
  if (path !== join(figuresDir, basename(name))) return null;
  try {
    const data = (await readFile(path)).toString('base64');
    return { name, mimeType: figureMimeType(name), data };
  } catch {
    return null;
  }
}
