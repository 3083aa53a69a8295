// The live list of executions and the searchable history of finished ones.
import { api, state } from './api.js';
import { el, stateText, timeCell } from './dom.js';

export async function refreshList(onSelect, onAuthError) {
  const items = await api('executions').catch(onAuthError);
  if (!items) return;
  document.querySelector('#executions tbody').replaceChildren(
    ...items.map((item) =>
      el(
        'tr',
        { 'data-id': item.execution_id, 'data-state': item.state, class: item.execution_id === state.selected ? 'selected' : null, onclick: () => onSelect(item.execution_id) },
        el('td', { class: 'task', text: item.task_objective }),
        el('td', { class: `state state-${item.state}`, text: stateText(item) }),
        el('td', { class: 'nowrap', text: item.mode ?? '' }),
        timeCell(item.deadline),
        timeCell(item.updated_at),
      ),
    ),
  );
}

// Searches can overlap (a second submit before the first answer): only the
// latest one renders, and the table is aria-busy until it has, so neither a
// reader nor a test takes the previous results for the new ones.
let latestSearch = 0;

export async function searchHistory(form, onSelect, onAuthError) {
  const search = ++latestSearch;
  const table = document.getElementById('history');
  table.setAttribute('aria-busy', 'true');
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (String(value).trim() !== '') query.set(name, String(value).trim());
  try {
    const items = await api(`history?${query}`).catch(onAuthError);
    if (items && search === latestSearch) renderHistory(items, onSelect);
  } finally {
    if (search === latestSearch) table.setAttribute('aria-busy', 'false');
  }
}

function renderHistory(items, onSelect) {
  document.querySelector('#history tbody').replaceChildren(
    ...items.map((item) =>
      el(
        'tr',
        { 'data-id': item.execution_id, 'data-testid': 'history-row', onclick: () => onSelect(item.execution_id) },
        el('td', { class: 'task', text: item.task_objective }),
        el('td', { class: `state state-done`, text: item.outcome }),
        el('td', { text: item.decided_by ?? '—' }),
        timeCell(item.updated_at),
        el('td', { class: 'id', title: item.execution_id, text: item.execution_id.slice(0, 8) }),
      ),
    ),
  );
  document.getElementById('history-empty').hidden = items.length > 0;
}

export function markSelected(id) {
  for (const row of document.querySelectorAll('#executions tbody tr, #history tbody tr')) row.classList.toggle('selected', row.dataset.id === id);
}
