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

/** What a load made by newestOnly answers when a newer call of it was made meanwhile. */
export const stale = Symbol('stale');

/**
 * Loads of one kind overlap (live events arrive faster than answers, a
 * search is submitted twice): a loader made here hands on only the newest
 * call's answer or failure, so an older answer arriving late never puts
 * stale state back on screen. Older calls resolve to `stale`.
 */
export function newestOnly(load) {
  let newest = 0;
  return async (...args) => {
    const call = ++newest;
    try {
      const result = await load(...args);
      return call === newest ? result : stale;
    } catch (error) {
      if (call !== newest) return stale;
      throw error;
    }
  };
}

export const isApprover = () => Boolean(state.session?.roles.includes('approver'));
