// The review page's script (plain browser JavaScript, served as is). Every
// value from the server is put into the page as text, never as HTML.
'use strict';

const state = { session: null, selected: null, events: null };

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

async function api(path, options = {}) {
  const headers = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.method === 'POST' && state.session) headers['X-CSRF-Token'] = state.session.csrf_token;
  const response = await fetch(path, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), credentials: 'same-origin' });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error ?? `HTTP ${response.status}`), { status: response.status });
  return body;
}

const isApprover = () => Boolean(state.session?.roles.includes('approver'));
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

function showLoggedIn(session) {
  state.session = session;
  document.getElementById('login').hidden = true;
  document.getElementById('app').hidden = false;
  document.getElementById('logout').hidden = false;
  document.getElementById('who').textContent = `${session.name} (${session.roles.join(', ')})`;
  listen();
  refreshList();
  const id = decodeURIComponent(location.hash.replace(/^#\/executions\//, ''));
  if (id && id !== location.hash) select(id);
}

function showLogin() {
  state.session = null;
  state.events?.close();
  document.getElementById('login').hidden = false;
  document.getElementById('app').hidden = true;
  document.getElementById('logout').hidden = true;
  document.getElementById('who').textContent = '';
}

// Live state: every execution event from the bus arrives here as a server-sent event.
function listen() {
  state.events?.close();
  const source = new EventSource('/api/events');
  state.events = source;
  const live = document.getElementById('live');
  source.onopen = () => live.classList.add('on');
  source.onerror = () => live.classList.remove('on');
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    refreshList();
    if (event.execution_id === state.selected) select(state.selected);
  };
}

async function refreshList() {
  const items = await api('/api/executions').catch(handleAuthError);
  if (!items) return;
  const body = document.querySelector('#executions tbody');
  body.replaceChildren(
    ...items.map((item) =>
      el(
        'tr',
        { 'data-id': item.execution_id, 'data-state': item.state, class: item.execution_id === state.selected ? 'selected' : null, onclick: () => select(item.execution_id) },
        el('td', { text: item.task_objective }),
        el('td', { class: `state state-${item.state}`, text: item.state === 'done' ? `done: ${item.outcome}` : item.state }),
        el('td', { text: item.mode ?? '' }),
        el('td', { text: when(item.deadline) }),
        el('td', { text: when(item.updated_at) }),
      ),
    ),
  );
}

async function select(id) {
  state.selected = id;
  history.replaceState(null, '', `#/executions/${encodeURIComponent(id)}`);
  const view = await api(`/api/executions/${encodeURIComponent(id)}`).catch(handleAuthError);
  if (!view || state.selected !== id) return;
  const detail = document.getElementById('detail');
  const reasonDraft = detail.querySelector('textarea')?.value ?? '';
  detail.hidden = false;
  detail.replaceChildren(...renderDetail(view, reasonDraft).flat(2).filter(Boolean));
  for (const row of document.querySelectorAll('#executions tbody tr')) row.classList.toggle('selected', row.dataset.id === id);
}

function renderDetail(view, reasonDraft) {
  return [
    el('h2', { text: view.task_objective }),
    el(
      'dl',
      {},
      el('dt', { text: 'State' }), el('dd', { 'data-testid': 'state', class: `state state-${view.state}`, text: view.state === 'done' ? `done: ${view.outcome}` : view.state }),
      el('dt', { text: 'Execution' }), el('dd', { text: view.execution_id }),
      el('dt', { text: 'Requested by' }), el('dd', { text: view.requester }),
      el('dt', { text: 'Mode' }), el('dd', { 'data-testid': 'mode', text: view.mode ?? 'not analysed yet' }),
      view.approval && [el('dt', { text: 'Deadline' }), el('dd', { 'data-testid': 'deadline', text: when(view.approval.deadline) })],
      view.outcome_detail && [el('dt', { text: 'Outcome' }), el('dd', { text: view.outcome_detail })],
      view.decision && [el('dt', { text: 'Decision' }), el('dd', { 'data-testid': 'decision', text: `${view.decision.verdict} by ${view.decision.approver}${view.decision.reason ? `: ${view.decision.reason}` : ''}` })],
      view.notebook_url && [el('dt', { text: 'Notebook' }), el('dd', {}, el('a', { href: view.notebook_url, 'data-testid': 'notebook', text: 'download notebook' }), view.jupyter_notebook_url && [' · ', el('a', { href: view.jupyter_notebook_url, target: '_blank', rel: 'noopener', text: 'open in Jupyter' })])],
    ),
    view.awaiting_decision && isApprover() ? renderDecisionForm(view, reasonDraft) : null,
    view.reasoning.length ? [el('h3', { text: 'Why' }), el('ul', { 'data-testid': 'reasoning' }, view.reasoning.map((line) => el('li', { text: line })))] : null,
    view.findings.length
      ? [el('h3', { text: 'Findings' }), el('ul', { class: 'findings', 'data-testid': 'findings' }, view.findings.map((f) => el('li', { class: f.severity, text: `line ${f.line}: ${f.severity} ${f.rule} — ${f.message}` })))]
      : null,
    view.code !== null ? [el('h3', { text: 'Code' }), renderCode(view)] : null,
    view.results !== null ? [el('h3', { text: 'Results' }), el('pre', { 'data-testid': 'results', text: JSON.stringify(view.results, null, 2) })] : null,
    view.figures.length
      ? [el('h3', { text: 'Figures' }), el('div', { class: 'figures' }, view.figures.map((url, index) => el('a', { href: url, target: '_blank', rel: 'noopener', 'data-testid': 'figure-link' }, el('img', { src: url, alt: `figure ${index + 1}` }))))]
      : null,
    view.stdout ? [el('h3', { text: 'Output' }), el('pre', { text: view.stdout })] : null,
    view.error_chain.length ? [el('h3', { text: 'Errors' }), el('ul', {}, view.error_chain.map((e) => el('li', { text: `attempt ${e.attempt}, ${e.stage}: ${e.type} — ${e.message}` })))] : null,
    view.refused_decisions.length ? [el('h3', { text: 'Refused decisions' }), el('ul', { 'data-testid': 'refused' }, view.refused_decisions.map((r) => el('li', { text: `${when(r.at)} ${r.approver}: ${r.reason}` })))] : null,
    renderAudit(view.audit),
  ];
}

function renderCode(view) {
  const highlighted = new Set(view.highlighted_lines);
  const blocking = new Set(view.findings.filter((f) => f.severity === 'blocking').map((f) => f.line));
  const findingsAt = (line) => view.findings.filter((f) => f.line === line).map((f) => `${f.rule}: ${f.message}`).join('\n');
  const lines = view.code.replace(/\n$/, '').split('\n');
  return el(
    'ol',
    { class: 'code', 'data-testid': 'code' },
    lines.map((text, index) => {
      const line = index + 1;
      const marked = highlighted.has(line);
      return el('li', { 'data-line': line, class: marked ? `highlight${blocking.has(line) ? ' blocking' : ''}` : null, title: marked ? findingsAt(line) || 'control-system write' : null, text: text || ' ' });
    }),
  );
}

function renderDecisionForm(view, reasonDraft) {
  const reason = el('textarea', { name: 'reason', rows: 2, placeholder: 'reason (required to reject; kept in the audit trail)', 'data-testid': 'reason' });
  reason.value = reasonDraft;
  const message = el('p', { class: 'error', role: 'alert', 'data-testid': 'decision-error' });
  const send = (verdict) => async () => {
    message.textContent = '';
    try {
      await api(`/api/executions/${encodeURIComponent(view.execution_id)}/decision`, {
        method: 'POST',
        body: { verdict, reason: reason.value, approval_id: view.approval.approval_id, code_sha256: view.code_sha256 },
      });
      message.textContent = `${verdict === 'approve' ? 'approval' : 'rejection'} sent`;
    } catch (error) {
      message.textContent = error.message;
    }
  };
  return el(
    'div',
    { class: 'decide', 'data-testid': 'decide' },
    el('strong', { text: `Waiting for approval until ${when(view.approval.deadline)}${state.session.signs_decisions ? ' (signed by this server on your behalf)' : ''}` }),
    reason,
    el('div', { class: 'buttons' }, el('button', { type: 'button', 'data-testid': 'approve', onclick: send('approve'), text: 'Approve' }), el('button', { type: 'button', 'data-testid': 'reject', onclick: send('reject'), text: 'Reject' })),
    message,
  );
}

function renderAudit(audit) {
  const summary = (record) => Object.entries(record).filter(([key]) => !['seq', 'at', 'event', 'prev', 'hash', 'signature'].includes(key)).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(' ');
  return [
    el('h3', { text: 'Audit trail' }),
    el('p', { 'data-testid': 'audit-status', class: audit.ok ? 'audit-ok' : 'audit-broken', text: audit.ok ? `hash chain intact (${audit.records.length} records)` : `AUDIT TRAIL BROKEN: ${audit.problems.join('; ')}` }),
    el('table', { 'data-testid': 'audit' }, el('tbody', {}, audit.records.map((record) => el('tr', {}, el('td', { text: record.seq ?? 0 }), el('td', { text: when(record.at) }), el('td', { text: record.event }), el('td', { text: summary(record) }))))),
  ];
}

function handleAuthError(error) {
  if (error.status === 401) showLogin();
  else console.error(error);
  return null;
}

document.getElementById('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const error = document.getElementById('login-error');
  error.textContent = '';
  try {
    showLoggedIn(await api('/api/login', { method: 'POST', body: { name: form.get('name'), password: form.get('password') } }));
  } catch (failure) {
    error.textContent = failure.message;
  }
});

document.getElementById('logout').addEventListener('click', async () => {
  await api('/api/logout', { method: 'POST' }).catch(() => null);
  showLogin();
});

api('/api/session').then(showLoggedIn, showLogin);
