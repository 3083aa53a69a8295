// The approver's panel: what approving will do, said beside the buttons, and
// for a write-mode approval a confirmation that names every PV written.
import { api, state } from './api.js';
import { el, valueText, when } from './dom.js';

/** The panel stands for one approval of one piece of code: while that is pending it is never rebuilt (the reason typed survives). */
export const decisionKey = (view) => `${view.approval.approval_id}:${view.code_sha256}`;

function writesTable(writes) {
  const showLimits = writes.some((write) => write.limits !== undefined);
  return el(
    'table',
    { class: 'writes', 'data-testid': 'approve-writes' },
    el('thead', {}, el('tr', {}, el('th', { text: 'PV written' }), el('th', { text: 'value' }), el('th', { text: 'call' }), el('th', { text: 'line' }), showLimits && el('th', { text: 'limits' }))),
    el(
      'tbody',
      {},
      writes.map((write) =>
        el(
          'tr',
          { 'data-testid': 'approve-write' },
          el('td', { class: 'pv', text: write.pv ?? 'computed at run time' }),
          el('td', { class: 'value', text: valueText(write.value) }),
          el('td', { text: write.function }),
          el('td', { text: write.line }),
          showLimits && el('td', { class: `limits limits-${write.limits?.verdict ?? 'none'}`, text: limitsText(write.limits) }),
        ),
      ),
    ),
  );
}

function limitsText(limits) {
  if (!limits) return '';
  return limits.message ? `${limits.verdict}: ${limits.message}` : limits.verdict;
}

export function renderDecisionPanel(view) {
  const summary = view.approval_summary;
  const writes = view.accesses.filter((access) => access.kind === 'write');
  const confirmWrites = summary?.confirm_writes ?? [];
  const needsConfirmation = Boolean(summary?.allows_writes);
  const reason = el('textarea', { name: 'reason', rows: 2, placeholder: 'reason (required to reject; kept in the audit trail)', 'data-testid': 'reason' });
  const confirm = needsConfirmation ? el('input', { type: 'checkbox', 'data-testid': 'confirm-writes' }) : null;
  const approve = el('button', { type: 'button', class: 'approve', 'data-testid': 'approve', text: needsConfirmation ? `Approve ${confirmWrites.length} write${confirmWrites.length === 1 ? '' : 's'}` : 'Approve' });
  const reject = el('button', { type: 'button', class: 'reject', 'data-testid': 'reject', text: 'Reject' });
  const message = el('p', { class: 'error', role: 'alert', 'data-testid': 'decision-error' });
  approve.disabled = needsConfirmation;
  confirm?.addEventListener('change', () => (approve.disabled = !confirm.checked));

  const send = (verdict) => async () => {
    message.textContent = '';
    try {
      await api(`executions/${encodeURIComponent(view.execution_id)}/decision`, {
        method: 'POST',
        body: {
          verdict,
          reason: reason.value,
          approval_id: view.approval.approval_id,
          code_sha256: view.code_sha256,
          ...(verdict === 'approve' && needsConfirmation ? { confirmed_writes: confirmWrites } : {}),
        },
      });
      message.textContent = `${verdict === 'approve' ? 'approval' : 'rejection'} sent`;
    } catch (error) {
      message.textContent = error.message;
    }
  };
  approve.addEventListener('click', send('approve'));
  reject.addEventListener('click', send('reject'));

  return el(
    'div',
    { class: `decide${needsConfirmation ? ' decide-write' : ''}`, 'data-testid': 'decide', 'data-key': decisionKey(view) },
    el('h3', { text: 'What approving will do' }),
    summary &&
      el(
        'p',
        { 'data-testid': 'approve-mode', class: 'mode-line' },
        el('span', { class: `mode-badge ${summary.allows_writes ? 'mode-write' : 'mode-read'}`, text: summary.mode }),
        ` ${summary.kernel ? `kernel ${summary.kernel}; ` : ''}${summary.allows_writes ? 'control-system writes allowed' : 'read only: nothing is written'}`,
      ),
    summary && el('p', { 'data-testid': 'write-count', class: 'write-count', text: `${summary.write_count} write${summary.write_count === 1 ? '' : 's'} to the control system` }),
    writes.length > 0 && writesTable(writes),
    view.limits_file &&
      el('p', { class: 'limits-file', 'data-testid': 'limits-file', text: view.limits_file.version ? `Checked against the limits file ${view.limits_file.file} (version ${view.limits_file.version.slice(0, 12)})` : `The limits file ${view.limits_file.file} could not be used: ${view.limits_file.unavailable ?? 'unavailable'}` }),
    summary && el('ul', { class: 'next', 'data-testid': 'next' }, summary.next.map((line) => el('li', { text: line }))),
    el('p', { class: 'deadline', text: `Waiting for a decision until ${when(view.approval.deadline)}; after that it expires and nothing runs.${state.session.signs_decisions ? ' Your decision is signed by this server on your behalf.' : ''}` }),
    reason,
    confirm &&
      el(
        'label',
        { class: 'confirm', 'data-testid': 'confirm-label' },
        confirm,
        ` I confirm writing ${writes.map((write, index) => `${confirmWrites[index]} ← ${valueText(write.value)}`).join(', ') || 'no PV the analysis could name'}`,
      ),
    el('div', { class: 'buttons' }, approve, reject),
    message,
  );
}
