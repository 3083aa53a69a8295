// Calls to this server's API, relative to the page (which may sit under a path prefix).

export const state = { session: null, selected: null, events: null };

export async function api(path, options = {}) {
  const headers = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.method === 'POST' && state.session) headers['X-CSRF-Token'] = state.session.csrf_token;
  const response = await fetch(`api/${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error ?? `HTTP ${response.status}`), { status: response.status });
  return body;
}

export const isApprover = () => Boolean(state.session?.roles.includes('approver'));
