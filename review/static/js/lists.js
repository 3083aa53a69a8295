// The live list of executions and the searchable history of finished ones.
import { api, newestOnly, stale, state } from './api.js';
import { el, stateText, timeCell } from './dom.js';

const loadList = newestOnly(() => api('executions'));
const loadHistory = newestOnly((query) => api(`history?${query}`));

export async function refreshList(onSelect, onAuthError) {
  const items = await loadList().catch(onAuthError);
  if (!items || items === stale) return;
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

// The table is aria-busy from a search's submit until its rows are drawn, so
// neither a reader nor a test takes the previous results for the new ones.
export async function searchHistory(form, onSelect, onAuthError) {
  const table = document.getElementById('history');
  table.setAttribute('aria-busy', 'true');
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (String(value).trim() !== '') query.set(name, String(value).trim());
  const items = await loadHistory(query).catch(onAuthError);
  if (items === stale) return; // a newer search is under way: it draws, and ends the busy state
  if (items) renderHistory(items, onSelect);
  table.setAttribute('aria-busy', 'false');
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
