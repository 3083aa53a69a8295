/**
 * The human part of an execution folder's name. A caller-chosen name is
 * validated again here (defence in depth: this is the last stop before the
 * file system); otherwise the task objective is turned into a short slug.
 */
import { describeZodError } from '../../protocol/zod-error.ts';
import { PyexecError } from '../../protocol/errors.ts';
import { folderNameSchema } from '../../protocol/fields.ts';

/** Long enough to recognise a task, short enough to keep paths readable. */
export const maxSlugLength = 40;
const fallbackName = 'execution';

export class FolderNameError extends PyexecError {
  constructor(message: string) {
    super('invalid_input', message);
    this.name = 'FolderNameError';
  }
}

export interface FolderNameSource {
  task_objective: string;
  execution_folder_name?: string | undefined;
}

export function safeFolderName(source: FolderNameSource): string {
  if (source.execution_folder_name === undefined) return slugify(source.task_objective);
  const parsed = folderNameSchema.safeParse(source.execution_folder_name);
  if (!parsed.success) {
    throw new FolderNameError(
      `invalid folder name ${JSON.stringify(source.execution_folder_name)}:\n${describeZodError(parsed.error, 'execution_folder_name')}`,
    );
  }
  return parsed.data;
}

/** "Plot the beam current (mA)!" → "plot_the_beam_current_ma": ASCII letters, digits and "_" only. */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+/, '')
    .slice(0, maxSlugLength)
    .replace(/_+$/, '');
  return slug === '' ? fallbackName : slug;
}
