// One execution in detail. The head and the body are rebuilt on every live
// update; the decision panel lives in its own slot and is left alone while
// the same approval is pending (decide.js).
import { isApprover } from './api.js';
import { decisionKey, renderDecisionPanel } from './decide.js';
import { el, stateText, valueText, when } from './dom.js';

export function renderDetail(view) {
  document.getElementById('detail').hidden = false;
  document.getElementById('detail-head').replaceChildren(...nodes(renderHead(view)));
  const slot = document.getElementById('decide-slot');
  if (!(view.awaiting_decision && isApprover())) slot.replaceChildren();
  else if (slot.firstElementChild?.dataset.key !== decisionKey(view)) slot.replaceChildren(renderDecisionPanel(view));
  document.getElementById('detail-body').replaceChildren(...nodes(renderBody(view)));
}

/** The sections' nested lists of nodes, without the parts left out (null). */
const nodes = (parts) => parts.flat(Infinity).filter(Boolean);

function renderHead(view) {
  return [
    el('h2', { text: view.task_objective }),
    el(
      'dl',
      {},
      el('dt', { text: 'State' }), el('dd', { 'data-testid': 'state', class: `state state-${view.state}`, text: stateText(view) }),
      el('dt', { text: 'Execution' }), el('dd', { class: 'id', text: view.execution_id }),
      el('dt', { text: 'Requested by' }), el('dd', { text: view.requester }),
      el('dt', { text: 'Mode' }), el('dd', { 'data-testid': 'mode', text: view.mode ?? 'not analysed yet' }),
      view.approval && [el('dt', { text: 'Deadline' }), el('dd', { 'data-testid': 'deadline', class: 'time', text: when(view.approval.deadline) })],
      view.outcome_detail && [el('dt', { text: 'Outcome' }), el('dd', { text: view.outcome_detail })],
      view.decision && [el('dt', { text: 'Decision' }), el('dd', { 'data-testid': 'decision', text: `${view.decision.verdict} by ${view.decision.approver}${view.decision.reason ? `: ${view.decision.reason}` : ''}` })],
      view.notebook_url && [
        el('dt', { text: 'Notebook' }),
        el('dd', {}, el('a', { href: view.notebook_url, 'data-testid': 'notebook', text: 'download notebook' }), view.jupyter_notebook_url && [' · ', el('a', { href: view.jupyter_notebook_url, target: '_blank', rel: 'noopener', text: 'open in Jupyter' })]),
      ],
    ),
  ];
}

function renderBody(view) {
  return [
    view.reasoning.length ? [el('h3', { text: 'Why' }), el('ul', { 'data-testid': 'reasoning' }, view.reasoning.map((line) => el('li', { text: line })))] : null,
    view.accesses.length ? [el('h3', { text: 'Control system' }), renderAccesses(view.accesses)] : null,
    view.findings.length
      ? [el('h3', { text: 'Findings' }), el('ul', { class: 'findings', 'data-testid': 'findings' }, view.findings.map((f) => el('li', { class: f.severity, text: `line ${f.line}: ${f.severity} ${f.rule} — ${f.message}` })))]
      : null,
    view.code !== null ? [el('h3', { text: 'Code' }), legend(), renderCode(view)] : null,
    view.results !== null ? [el('h3', { text: 'Results' }), el('pre', { 'data-testid': 'results', text: JSON.stringify(view.results, null, 2) })] : null,
    view.figures.length
      ? [el('h3', { text: 'Figures' }), el('div', { class: 'figures' }, view.figures.map((url, index) => el('a', { href: url, target: '_blank', rel: 'noopener', 'data-testid': 'figure-link' }, el('img', { src: url, alt: `figure ${index + 1}` }))))]
      : null,
    view.stdout ? [el('h3', { text: 'Output' }), el('pre', { 'data-testid': 'stdout', text: view.stdout })] : null,
    view.error_chain.length ? [el('h3', { text: 'Errors' }), el('ul', {}, view.error_chain.map((e) => el('li', { text: `attempt ${e.attempt}, ${e.stage}: ${e.type} — ${e.message}` })))] : null,
    view.refused_decisions.length ? [el('h3', { text: 'Refused decisions' }), el('ul', { 'data-testid': 'refused' }, view.refused_decisions.map((r) => el('li', { text: `${when(r.at)} ${r.approver}: ${r.reason}` })))] : null,
    renderAudit(view.audit),
  ];
}

function legend() {
  return el(
    'p',
    { class: 'legend', 'data-testid': 'legend' },
    el('span', { class: 'swatch write' }), ' writes a PV ',
    el('span', { class: 'swatch read' }), ' reads a PV ',
    el('span', { class: 'swatch finding' }), ' other finding ',
    el('span', { class: 'swatch blocking' }), ' blocking',
  );
}

function renderAccesses(accesses) {
  return el(
    'table',
    { class: 'accesses', 'data-testid': 'accesses' },
    el('thead', {}, el('tr', {}, el('th', { text: '' }), el('th', { text: 'PV' }), el('th', { text: 'value' }), el('th', { text: 'call' }), el('th', { text: 'line' }))),
    el(
      'tbody',
      {},
      accesses.map((access) =>
        el(
          'tr',
          { class: `access-${access.kind}`, 'data-kind': access.kind },
          el('td', { class: `kind ${access.kind}`, text: access.kind }),
          el('td', { class: 'pv', text: access.pv ?? 'computed at run time' }),
          el('td', { text: access.kind === 'write' ? valueText(access.value) : '' }),
          el('td', { text: access.library ? `${access.function} (${access.library})` : access.function }),
          el('td', { text: access.line }),
        ),
      ),
    ),
  );
}

function renderCode(view) {
  const marked = new Set(view.highlighted_lines);
  const linesOf = (kind) => new Set(view.accesses.filter((a) => a.kind === kind).map((a) => a.line));
  const writes = linesOf('write');
  const reads = linesOf('read');
  const blocking = new Set(view.findings.filter((f) => f.severity === 'blocking').map((f) => f.line));
  const notes = (line) => [
    ...view.accesses.filter((a) => a.line === line).map((a) => `${a.kind}s ${a.pv ?? 'a computed PV'}${a.kind === 'write' ? ` = ${valueText(a.value)}` : ''}`),
    ...view.findings.filter((f) => f.line === line).map((f) => `${f.rule}: ${f.message}`),
  ].join('\n');
  const lines = view.code.replace(/\n$/, '').split('\n');
  return el(
    'ol',
    { class: 'code', 'data-testid': 'code' },
    lines.map((text, index) => {
      const line = index + 1;
      if (!marked.has(line)) return el('li', { 'data-line': line, text: text || ' ' });
      const kind = writes.has(line) ? 'write' : reads.has(line) ? 'read' : 'finding';
      return el('li', { 'data-line': line, 'data-kind': kind, class: `highlight ${kind}${blocking.has(line) ? ' blocking' : ''}`, title: notes(line), text: text || ' ' });
    }),
  );
}

function renderAudit(audit) {
  const hidden = ['seq', 'at', 'event', 'prev', 'hash', 'signature'];
  const summary = (record) => Object.entries(record).filter(([key]) => !hidden.includes(key)).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(' ');
  return [
    el('h3', { text: 'Audit trail' }),
    el('p', { 'data-testid': 'audit-status', class: audit.ok ? 'audit-ok' : 'audit-broken', text: audit.ok ? `hash chain intact (${audit.records.length} records)` : `AUDIT TRAIL BROKEN: ${audit.problems.join('; ')}` }),
    el('table', { class: 'audit', 'data-testid': 'audit' }, el('tbody', {}, audit.records.map((record) => el('tr', {}, el('td', { text: record.seq ?? 0 }), el('td', { class: 'time', text: when(record.at) }), el('td', { text: record.event }), el('td', { class: 'summary', text: summary(record) }))))),
  ];
}
