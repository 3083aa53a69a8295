/**
 * The CA test server against the real client: Debian's pyepics over libca,
 * searching over TCP (name server) or UDP, reading, writing and monitoring.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaServer } from '../support/ca-server.ts';
import { command, eca, encodeMessage, MessageReader, stringPayload, type CaMessage } from '../support/ca/header.ts';
import { runPyepics } from '../support/ca/pyepics.ts';

let server: CaServer;

beforeEach(async () => {
  server = await CaServer.start({
    pvs: {
      'TEST:DOUBLE': { value: 1.5, units: 'mm', precision: 2 },
      'TEST:LONG': { value: 3, type: 'long' },
      'TEST:STRING': { value: 'idle' },
      'TEST:ARRAY': { value: [1, 2, 3] },
      'TEST:READONLY': { value: 7, readOnly: true },
      'TEST:CLAMPED': { value: 0, clampAbove: 10 },
      'TEST:SLOW': { value: 0, writeDelayMs: 300 },
    },
  });
});

afterEach(async () => {
  await server.close();
});

describe('CA test server with pyepics', () => {
  it('serves caget of doubles, longs, strings and arrays with their metadata', async () => {
    const result = await runPyepics(
      server,
      `
import epics, json
# The channel's type as served, read from libca once connected: PV.type is filled by pyepics's
# connection callback, which under load can record it before the type is known ("unknown").
pv = epics.PV('TEST:DOUBLE'); pv.wait_for_connection()
ctrl = pv.get_ctrlvars()
print(json.dumps({'double': epics.caget('TEST:DOUBLE'), 'long': epics.caget('TEST:LONG'),
  'string': epics.caget('TEST:STRING'), 'array': list(epics.caget('TEST:ARRAY')),
  'asString': epics.caget('TEST:DOUBLE', as_string=True), 'units': ctrl['units'], 'precision': ctrl['precision'],
  'type': epics.dbr.Name(epics.ca.promote_type(pv.chid, use_time=True)).lower(), 'timestamp': pv.timestamp}))
`,
    );
    expect(result).toMatchObject({
      double: 1.5,
      long: 3,
      string: 'idle',
      array: [1, 2, 3],
      asString: '1.50',
      units: 'mm',
      precision: 2,
      type: 'time_double',
    });
    expect(Math.abs((result as { timestamp: number }).timestamp * 1000 - Date.now())).toBeLessThan(60_000);
    expect(server.events).toContainEqual(expect.objectContaining({ kind: 'search', pv: 'TEST:DOUBLE', transport: 'tcp', found: true }));
    expect(server.events).toContainEqual(expect.objectContaining({ kind: 'channel', pv: 'TEST:LONG', user: expect.any(String) }));
  });

  it('applies caput with wait=True, PV.put and sg_put, and logs each write with the client', async () => {
    const result = await runPyepics(
      server,
      `
import epics, json
from epics import ca
epics.caput('TEST:DOUBLE', 4.25, wait=True)
epics.caput('TEST:STRING', 'moving', wait=True)
pv = epics.PV('TEST:LONG'); pv.put(17, wait=True)
chid = ca.create_channel('TEST:ARRAY'); ca.connect_channel(chid)
group = ca.sg_create(); ca.sg_put(group, chid, [4.0, 5.0, 6.0]); ca.sg_block(group)
print(json.dumps({'double': epics.caget('TEST:DOUBLE'), 'string': epics.caget('TEST:STRING'),
  'long': pv.get(use_monitor=False), 'array': list(ca.get(chid))}))
`,
    );
    expect(result).toEqual({ double: 4.25, string: 'moving', long: 17, array: [4, 5, 6] });
    expect(server.value('TEST:ARRAY')).toEqual([4, 5, 6]);
    expect(server.writes.map((write) => [write.pv, write.value, write.applied])).toEqual([
      ['TEST:DOUBLE', 4.25, true],
      ['TEST:STRING', 'moving', true],
      ['TEST:LONG', 17, true],
      ['TEST:ARRAY', [4, 5, 6], true],
    ]);
    expect(server.writes[0]?.host).not.toBe('');
    expect(server.writes[0]?.user).not.toBe('');
  });

  it('calls a monitor callback with the first value and each change', async () => {
    const result = await runPyepics(
      server,
      `
import epics, json, time
seen = []
pv = epics.PV('TEST:LONG', callback=lambda value=None, **kw: seen.append(int(value)))
pv.wait_for_connection()
epics.caput('TEST:LONG', 11, wait=True)
deadline = time.time() + 10
while len(seen) < 2 and time.time() < deadline: time.sleep(0.02)
print(json.dumps(seen))
`,
    );
    expect(result).toEqual([3, 11]);
  });

  it('refuses a put on a read-only PV in pyepics, and logs none', async () => {
    const result = await runPyepics(
      server,
      `
import epics, json
try:
    epics.caput('TEST:READONLY', 9, wait=True)
    outcome = 'written'
except epics.ca.CASeverityException as error:
    outcome = str(error)
print(json.dumps({'outcome': outcome, 'value': epics.caget('TEST:READONLY')}))
`,
    );
    expect(result).toEqual({ outcome: expect.stringContaining('Write access denied'), value: 7 });
    expect(server.writes).toEqual([]);
  });

  it('refuses and logs a write that bypasses the client access check', async () => {
    const replies = await rawWrite(server.port, 'TEST:READONLY', 9);
    expect(replies.find((reply) => reply.command === command.writeNotify)?.param1).toBe(eca.noWriteAccess);
    expect(server.writesTo('TEST:READONLY')).toEqual([expect.objectContaining({ value: 9, applied: false })]);
    expect(server.value('TEST:READONLY')).toBe(7);
  });

  it('stores a clamped value, so the readback differs from the setpoint', async () => {
    const result = await runPyepics(server, `import epics, json; epics.caput('TEST:CLAMPED', 99, wait=True); print(json.dumps(epics.caget('TEST:CLAMPED')))`);
    expect(result).toBe(10);
    expect(server.writesTo('TEST:CLAMPED')).toEqual([expect.objectContaining({ value: 99, applied: true })]);
  });

  it('confirms a put with wait=True only after the write delay', async () => {
    const result = await runPyepics(
      server,
      `
import epics, json, time
pv = epics.PV('TEST:SLOW'); pv.wait_for_connection()
start = time.time(); pv.put(5, wait=True); elapsed = time.time() - start
print(json.dumps({'elapsed': elapsed, 'value': pv.get(use_monitor=False)}))
`,
    );
    expect(result).toMatchObject({ value: 5 });
    expect((result as { elapsed: number }).elapsed).toBeGreaterThanOrEqual(0.29);
  });

  it('answers a UDP search (EPICS_CA_ADDR_LIST)', async () => {
    const result = await runPyepics(server, `import epics, json; print(json.dumps(epics.caget('TEST:DOUBLE')))`, {
      EPICS_CA_NAME_SERVERS: '',
      EPICS_CA_ADDR_LIST: server.address,
    });
    expect(result).toBe(1.5);
    expect(server.events).toContainEqual(expect.objectContaining({ kind: 'search', pv: 'TEST:DOUBLE', transport: 'udp' }));
  });
});

/** A client that skips libca's access check: CREATE_CHAN then WRITE_NOTIFY of one double. */
function rawWrite(port: number, pv: string, value: number): Promise<CaMessage[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const reader = new MessageReader();
    const replies: CaMessage[] = [];
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(encodeMessage({ command: command.version, dataType: 0, dataCount: 13, param1: 0, param2: 0 }));
      socket.write(encodeMessage({ command: command.createChannel, dataType: 0, dataCount: 0, param1: 1, param2: 13, payload: stringPayload(pv) }));
    });
    socket.on('data', (chunk) => {
      for (const message of reader.push(chunk)) {
        replies.push(message);
        if (message.command === command.createChannel) {
          const payload = Buffer.alloc(8);
          payload.writeDoubleBE(value);
          socket.write(encodeMessage({ command: command.writeNotify, dataType: 6, dataCount: 1, param1: message.param2, param2: 7, payload }));
        }
        if (message.command === command.writeNotify) {
          socket.end();
          resolve(replies);
        }
      }
    });
  });
}
