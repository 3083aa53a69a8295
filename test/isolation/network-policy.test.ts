/** The allow-list's form and how the sandbox maps it: validated at config load, mapped to loopback inside. */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import { hostsFile, planForwards } from '../../adapters/sandbox/network.ts';

function networkIssue(network: unknown): string {
  const parsed = configSchema.safeParse({ execution: { modes: { read_only: { kernel_name: 'k', allows_writes: false, network }, write_access: { kernel_name: 'k', allows_writes: true } } } });
  if (parsed.success) return '';
  return parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n');
}

describe('execution.modes.<mode>.network', () => {
  it('defaults to none', () => {
    expect(configSchema.parse({}).execution.modes.read_only?.network).toBe('none');
  });

  it('accepts host names and loopback endpoints', () => {
    expect(networkIssue(['cagw-ro.facility.example:5064', 'localhost:5064', '127.0.0.1:8080'])).toBe('');
  });

  it.each([
    ['10.0.0.5:5064', 'use a host name'],
    ['cagw:0', 'the port must be 1-65535'],
    ['cagw', 'must be host:port'],
    ['http://cagw:5064', 'must be host:port'],
  ])('refuses %s naming the key', (entry, why) => {
    const issue = networkIssue([entry]);
    expect(issue).toContain('execution.modes.read_only.network');
    expect(issue).toContain(why);
  });
});

describe('the sandbox side of an allow-list', () => {
  it('maps host names to 127.77.0.N in its hosts file and serves loopback endpoints on their own address', () => {
    const forwards = planForwards(['cagw-ro:5064', 'cagw-ro:5065', 'archiver:80', 'localhost:9000']);
    expect(forwards.map((forward) => [forward.listenHost, forward.endpoint.port])).toEqual([
      ['127.77.0.1', 5064],
      ['127.77.0.1', 5065],
      ['127.77.0.2', 80],
      ['127.0.0.1', 9000],
    ]);
    expect(hostsFile(forwards)).toBe('127.0.0.1\tlocalhost\n::1\tlocalhost\n127.77.0.1\tcagw-ro\n127.77.0.2\tarchiver\n');
  });
});
