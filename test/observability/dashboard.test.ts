/**
 * The Grafana dashboard and the operations guide name only metrics pyexec
 * exports, and every exported metric is documented: a renamed metric breaks
 * this test, not an operator's dashboard at night.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PyexecMetrics } from '../../observability/metrics.ts';

const exported = new Set(new PyexecMetrics('test').registry.getMetricsAsArray().map((metric) => metric.name));
const namesIn = (text: string) => new Set([...text.matchAll(/\bpyexec_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, '')));

describe('dashboard and operations guide', () => {
  it('query only exported metrics', () => {
    const dashboard = readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    const unknown = [...namesIn(dashboard)].filter((name) => !exported.has(name));
    expect(unknown).toEqual([]);
    expect(JSON.parse(dashboard).panels.length).toBeGreaterThan(10);
  });

  it('document every exported metric', () => {
    const guide = namesIn(readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8'));
    expect([...exported].filter((name) => !guide.has(name))).toEqual([]);
    expect([...guide].filter((name) => !exported.has(name))).toEqual([]);
  });
});
