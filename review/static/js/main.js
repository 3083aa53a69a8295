// The review page's entry: login and logout, live updates, selection.
import { api, newestOnly, stale, state } from './api.js';
import { renderDetail } from './detail.js';
import { markSelected, refreshList, searchHistory } from './lists.js';

function handleAuthError(error) {
  if (error.status === 401) showLogin();
  else console.error(error);
  return null;
}

// Every live event of the selected execution reloads it: only the newest answer is drawn.
const loadView = newestOnly((id) => api(`executions/${encodeURIComponent(id)}`));

async function select(id) {
  state.selected = id;
  history.replaceState(null, '', `#/executions/${encodeURIComponent(id)}`);
  const view = await loadView(id).catch(handleAuthError);
  if (!view || view === stale || state.selected !== id) return;
  renderDetail(view);
  markSelected(id);
}

function showLoggedIn(session) {
  state.session = session;
  document.getElementById('login').hidden = true;
  document.getElementById('app').hidden = false;
  document.getElementById('logout').hidden = false;
  document.getElementById('who').textContent = `${session.name} (${session.roles.join(', ')})`;
  listen();
  refreshList(select, handleAuthError);
  const id = decodeURIComponent(location.hash.replace(/^#\/executions\//, ''));
  if (id && id !== location.hash) select(id);
}

function showLogin() {
  state.session = null;
  state.selected = null;
  state.events?.close();
  state.events = null;
  document.getElementById('login').hidden = false;
  document.getElementById('app').hidden = true;
  document.getElementById('logout').hidden = true;
  document.getElementById('who').textContent = '';
  for (const id of ['detail-head', 'decide-slot', 'detail-body']) document.getElementById(id).replaceChildren();
}

// Live state: every execution event from the bus arrives here as a server-sent event.
function listen() {
  state.events?.close();
  const source = new EventSource('api/events');
  state.events = source;
  const live = document.getElementById('live');
  source.onopen = () => live.classList.add('on');
  source.onerror = () => {
    live.classList.remove('on');
    // The server ends a session's streams at logout and idle expiry: find out whether this one still holds.
    api('session').catch(handleAuthError);
  };
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    refreshList(select, handleAuthError);
    if (event.execution_id === state.selected) select(state.selected);
  };
}

document.getElementById('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const error = document.getElementById('login-error');
  error.textContent = '';
  try {
    showLoggedIn(await api('login', { method: 'POST', body: { name: form.get('name'), password: form.get('password') } }));
  } catch (failure) {
    error.textContent = failure.message;
  }
});

document.getElementById('logout').addEventListener('click', async () => {
  await api('logout', { method: 'POST' }).catch(() => null);
  showLogin();
});

document.getElementById('history-search').addEventListener('submit', (event) => {
  event.preventDefault();
  searchHistory(event.target, select, handleAuthError);
});

api('session').then(showLoggedIn, showLogin);
