/** The pyexec:// addresses of an execution and its files, as resources name them. */
export const executionUri = (id: string) => `pyexec://executions/${id}`;
export const notebookUri = (id: string) => `pyexec://executions/${id}/notebook`;
export const figureUri = (id: string, name: string) => `pyexec://executions/${id}/figures/${encodeURIComponent(name)}`;

export const uriTemplates = {
  execution: 'pyexec://executions/{id}',
  notebook: 'pyexec://executions/{id}/notebook',
  figure: 'pyexec://executions/{id}/figures/{name}',
} as const;
