/** Execution metrics from the state events a supervisor publishes, and bounded labels. */
import { describe, expect, it } from 'vitest';
import type { ExecutionEvent } from '../../protocol/public.ts';
import { ExecutionMetrics, refusalFamily } from '../../observability/execution-metrics.ts';
import { keyKind, subjectFamily } from '../../observability/instrumented-transport.ts';
import { kvKeys } from '../../protocol/kv-keys.ts';
import { PyexecMetrics } from '../../observability/metrics.ts';

const at = '2026-12-02T00:00:00.000Z';
const state = (id: string, name: Extract<ExecutionEvent, { kind: 'state' }>['state'], outcome?: 'succeeded' | 'rejected'): Extract<ExecutionEvent, { kind: 'state' }> => ({
  kind: 'state',
  execution_id: id,
  seq: 1,
  state: name,
  at,
  attempt: 1,
  detail: '',
  ...(outcome
    ? { summary: { execution_id: id, outcome, results: null, figures: [], notebook_path: null, folder: '/x', code: null, execution_mode: 'write_access', error_chain: [], stdout: '' } }
    : {}),
});

/** One sample of the registry (a histogram's `_sum` or `_count` by its own name). */
async function value(metrics: PyexecMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const samples = (await metrics.registry.getMetricsAsJSON()).flatMap((metric) => metric.values.map((entry) => ({ ...entry, name: (entry as { metricName?: string }).metricName ?? metric.name })));
  const match = samples.find((entry) => entry.name === name && Object.entries(labels).every(([key, v]) => entry.labels[key] === v));
  return match?.value ?? 0;
}

describe('execution metrics', () => {
  it('counts transitions, time in state, pending approvals, decisions and outcomes', async () => {
    const metrics = new PyexecMetrics('test');
    const hosted = new Set(['e1', 'e2']);
    const observer = new ExecutionMetrics(metrics, (id) => hosted.has(id));
    observer.observe(state('e1', 'generating'), 0);
    observer.observe(state('e1', 'analyzing'), 1_000);
    observer.observe(state('e1', 'awaitingApproval'), 1_500);
    observer.observe(state('e1', 'awaitingApproval'), 1_600); // repeated announcement: no transition
    observer.observe(state('e2', 'awaitingApproval'), 1_700);
    expect(await value(metrics, 'pyexec_approvals_pending')).toBe(2);
    hosted.delete('e2'); // taken over by another supervisor
    expect(await value(metrics, 'pyexec_approvals_pending')).toBe(1);
    observer.observe(state('e1', 'executing'), 4_500);
    observer.observe(state('e1', 'done', 'succeeded'), 5_000);
    expect(await value(metrics, 'pyexec_approvals_pending')).toBe(0);
    expect(await value(metrics, 'pyexec_state_transitions_total', { state: 'awaitingApproval' })).toBe(2);
    expect(await value(metrics, 'pyexec_decisions_total', { result: 'counted', reason: 'approve' })).toBe(1);
    expect(await value(metrics, 'pyexec_executions_finished_total', { outcome: 'succeeded', mode: 'write_access' })).toBe(1);
    expect(await value(metrics, 'pyexec_state_duration_seconds_sum', { state: 'awaitingApproval' })).toBe(3);
  });

  it('keeps labels bounded: refusal families and subject families, never ids', () => {
    expect(refusalFamily('the signature does not match the decision')).toBe('signature');
    expect(refusalFamily('decision for other code (sha256 abc)')).toBe('code_mismatch');
    expect(refusalFamily('something new')).toBe('other');
    expect(subjectFamily('pyexec.jobs.execute.read_only')).toBe('pyexec.jobs.execute.read_only');
    expect(subjectFamily('pyexec.cmd.generate')).toBe('pyexec.cmd.generate');
    expect(subjectFamily('pyexec.results.0b7c1e2a-1111-4c4c-8888-123456789abc')).toBe('pyexec.results');
    expect(keyKind(kvKeys.execution('0b7c1e2a-1111-4c4c-8888-123456789abc'))).toBe('exec');
    expect(keyKind(kvKeys.jobClaim('0b7c1e2a:execution:1'))).toBe('claim');
    expect(keyKind(kvKeys.jobResult('0b7c1e2a:execution:1'))).toBe('result');
    expect(keyKind(kvKeys.supervisor('supervisor-1'))).toBe('supervisors');
    expect(keyKind('0b7c1e2a-1111-4c4c-8888-123456789abc')).toBe('other');
  });
});
