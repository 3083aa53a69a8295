/**
 * The audit log on NATS: records come back from the pyexec_audit stream in
 * the order appended, for one execution only; a retried append is stored
 * once; a server without the stream reads as null, and a transport that did
 * not declare it still publishes without failing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import type { AuditMessage } from '../../protocol/audit.ts';
import type { Transport } from '../../bus/transport.ts';
import { NatsServer } from '../support/nats-server.ts';

const hex = (digit: string) => digit.repeat(64);
const genesis: AuditMessage = { event: 'folder_created', execution_id: 'exec-audit-0001', at: '2025-01-01T00:00:00.000Z' };
const record = (seq: number): AuditMessage => ({ seq, at: '2025-01-01T00:00:01.000Z', event: 'transition', prev: hex(String(seq - 1)), hash: hex(String(seq)) });

describe('NATS audit log', () => {
  let server: NatsServer;
  let bare: NatsServer;
  let service: Transport;
  beforeAll(async () => {
    [server, bare] = await Promise.all([NatsServer.start(), NatsServer.start()]);
    service = await createNatsTransport({ servers: server.url, keepEventsMs: 60_000 });
  });
  afterAll(async () => {
    await service?.close();
    await Promise.all([server?.dispose(), bare?.dispose()]);
  });

  it('reads back one execution’s records in order, each stored once', async () => {
    const log = service.auditLog;
    expect(log).toBeDefined();
    await log?.append('exec-audit-0001', [genesis, record(1), record(2)]);
    await log?.append('exec-audit-0002', [{ ...genesis, execution_id: 'exec-audit-0002' }]);
    await log?.append('exec-audit-0001', [record(2), record(3)]); // record 2 again: a retried publish
    expect(await log?.read('exec-audit-0001')).toEqual([genesis, record(1), record(2), record(3)]);
    expect(await log?.read('exec-audit-0003')).toEqual([]);
  });

  it('reads null where the server keeps no audit stream, and publishes there without failing', async () => {
    const client = await createNatsTransport({ servers: bare.url });
    try {
      await client.auditLog?.append('exec-audit-0001', [genesis]);
      expect(await client.auditLog?.read('exec-audit-0001')).toBeNull();
    } finally {
      await client.close();
    }
  });
});
