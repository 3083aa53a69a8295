import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notebookLink } from '../../adapters/notebook/link.ts';
import { configSchema } from '../../config/schema.ts';

const root = '/srv/pyexec/executions';
const notebook = join(root, '2024-05', '20240507-080910_beam study (v2)_f00dcafe', 'notebook.ipynb');

function config(publicUrl: string | null, executionsRoot = root) {
  return configSchema.parse({ execution: { jupyter: { public_url: publicUrl } }, service: { executions_root: executionsRoot } });
}

describe('notebookLink', () => {
  it('points at the file when no Jupyter public URL is configured', () => {
    expect(notebookLink(config(null), notebook)).toBe(notebook);
    expect(notebookLink(config(null), 'relative/notebook.ipynb')).toBe(resolve('relative/notebook.ipynb'));
  });

  it('points at <public_url>/notebooks/<path relative to the executions root>, encoded', () => {
    const expected = 'https://jupyter.example.org/user/ops/notebooks/2024-05/20240507-080910_beam%20study%20%28v2%29_f00dcafe/notebook.ipynb';
    expect(notebookLink(config('https://jupyter.example.org/user/ops'), notebook)).toBe(expected);
    expect(notebookLink(config('https://jupyter.example.org/user/ops/'), notebook)).toBe(expected);
  });

  it('resolves a relative executions root and keeps notebooks outside it as file paths', () => {
    const relativeRoot = config('http://localhost:8888', './executions');
    expect(notebookLink(relativeRoot, 'executions/2024-05/x_f00dcafe/notebook.ipynb')).toBe(
      'http://localhost:8888/notebooks/2024-05/x_f00dcafe/notebook.ipynb',
    );
    expect(notebookLink(config('http://localhost:8888'), '/etc/notebook.ipynb')).toBe('/etc/notebook.ipynb');
    expect(notebookLink(config('http://localhost:8888'), join(root, '..', 'other', 'n.ipynb'))).toBe('/srv/pyexec/other/n.ipynb');
  });
});
