/**
 * The form of an allowed network endpoint (`execution.modes.<m>.network`):
 * `host:port`, where host is a host name or a loopback address. The sandbox
 * maps host names to loopback addresses inside (adapters/sandbox/network.ts),
 * so an address outside loopback could not be reached there.
 */
export const endpointPattern = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;
const ipv4Pattern = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** null when valid, else why not. */
export function endpointProblem(text: string): string | null {
  const match = endpointPattern.exec(text);
  if (!match) return 'must be host:port (a host name or loopback address, then a TCP port)';
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return 'the port must be 1-65535';
  const host = match[1] ?? '';
  if (ipv4Pattern.test(host) && !host.startsWith('127.')) {
    return 'use a host name, not an address outside loopback (the sandbox maps host names to loopback addresses)';
  }
  return null;
}
