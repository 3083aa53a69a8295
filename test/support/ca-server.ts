/**
 * A Channel Access server for tests (protocol 4.13), for the real client:
 * Debian's pyepics over libca. It serves a fixed set of PVs over TCP, answers
 * searches over TCP (EPICS_CA_NAME_SERVERS) and UDP (EPICS_CA_ADDR_LIST), and
 * records every search, channel and write it receives, refused writes included,
 * so a test can tell from outside a kernel what reached the "hardware".
 * The real IOC software is not packaged on these machines.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { decodeWrite, encodeDbr, nativeType, toNative, type Metadata, type Scalar } from './ca/dbr.ts';
import {
  command,
  eca,
  encodeMessage,
  MessageReader,
  minorVersion,
  payloadString,
  searchDoReply,
  stringPayload,
  type CaMessage,
} from './ca/header.ts';

const pvSchema = z.object({
  value: z.union([z.number(), z.string(), z.array(z.number()).min(1)]),
  /** Native type; a number defaults to double, a string to string. */
  type: z.enum(['double', 'long', 'string']).optional(),
  /** Access rights read-only: libca refuses puts, and a write that arrives anyway is refused and logged. */
  readOnly: z.boolean().default(false),
  /** A written value above this is stored as this (a readback that differs from the setpoint). */
  clampAbove: z.number().optional(),
  /** Delay before a write is applied and WRITE_NOTIFY is confirmed. */
  writeDelayMs: z.number().int().nonnegative().default(0),
  units: z.string().max(7).default(''),
  precision: z.number().int().nonnegative().default(3),
});
const optionsSchema = z.object({ pvs: z.record(z.string().min(1), pvSchema), udp: z.boolean().default(true) });

export type CaPvOptions = z.input<typeof pvSchema>;
export type CaServerOptions = z.input<typeof optionsSchema>;
export type CaValue = number | string | number[];

export interface CaClient {
  /** From HOST_NAME and CLIENT_NAME; empty until the client sent them. */
  host: string;
  user: string;
  remote: string;
}

export interface CaWrite extends CaClient {
  pv: string;
  value: CaValue;
  at: Date;
  notify: boolean;
  /** False when refused (read-only PV); the stored value is unchanged then. */
  applied: boolean;
}

export type CaEvent =
  | { kind: 'search'; pv: string; found: boolean; transport: 'tcp' | 'udp'; remote: string; at: Date }
  | { kind: 'circuit'; remote: string; at: Date }
  | ({ kind: 'channel'; pv: string; at: Date } & CaClient);

interface Pv {
  name: string;
  options: z.output<typeof pvSchema>;
  native: 'double' | 'long' | 'string';
  values: Scalar[];
  timestamp: Date;
}

interface Subscription {
  circuit: Circuit;
  pv: Pv;
  sid: number;
  id: number;
  type: number;
  count: number;
}

interface Circuit {
  socket: Socket;
  client: CaClient;
  channels: Map<number, { pv: Pv; cid: number }>;
}

const dbeValue = 1;

function nativeOf(options: z.output<typeof pvSchema>): Pv['native'] {
  if (options.type) return options.type;
  return typeof options.value === 'string' ? 'string' : 'double';
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function bindUdp(socket: UdpSocket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

export class CaServer {
  /** Every write received, in arrival order. */
  readonly writes: CaWrite[] = [];
  /** Every circuit, search and channel creation received, in arrival order. */
  readonly events: CaEvent[] = [];
  private readonly pvs = new Map<string, Pv>();
  private readonly circuits = new Set<Circuit>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextSid = 1;
  private tcp: Server | null = null;
  private udp: UdpSocket | null = null;
  port = 0;

  private constructor(options: z.output<typeof optionsSchema>) {
    for (const [name, pv] of Object.entries(options.pvs)) {
      const native = nativeOf(pv);
      const values = (Array.isArray(pv.value) ? pv.value : [pv.value]).map((value) => toNative(value, native));
      this.pvs.set(name, { name, options: pv, native, values, timestamp: new Date() });
    }
  }

  /** Starts on a free loopback port (TCP, and UDP on the same number unless `udp: false`). */
  static async start(input: CaServerOptions): Promise<CaServer> {
    const server = new CaServer(optionsSchema.parse(input));
    await server.open(optionsSchema.parse(input).udp);
    return server;
  }

  /** `host:port` for EPICS_CA_NAME_SERVERS or an allow-list. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Environment for a pyepics client: Channel Access over TCP to this server only. */
  get environment(): Record<string, string> {
    return { EPICS_CA_NAME_SERVERS: this.address, EPICS_CA_AUTO_ADDR_LIST: 'NO', EPICS_CA_ADDR_LIST: '' };
  }

  /** The stored value (a scalar, or an array for a PV with more than one element). */
  value(pv: string): CaValue {
    const values = this.pv(pv).values;
    if (values.length === 1 && values[0] !== undefined) return values[0];
    return values.map((value) => Number(value));
  }

  /** Changes a value as the IOC itself would (monitors are told). */
  set(pv: string, value: CaValue): void {
    this.store(this.pv(pv), (Array.isArray(value) ? value : [value]) as Scalar[]);
  }

  writesTo(pv: string): CaWrite[] {
    return this.writes.filter((write) => write.pv === pv);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const circuit of this.circuits) circuit.socket.destroy();
    this.udp?.close();
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
  }

  private pv(name: string): Pv {
    const pv = this.pvs.get(name);
    if (!pv) throw new Error(`CA test server: no PV named ${name}`);
    return pv;
  }

  private async open(udp: boolean): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const tcp = createServer((socket) => this.accept(socket));
      const port = await listen(tcp, 0);
      if (!udp) {
        this.tcp = tcp;
        this.port = port;
        return;
      }
      const socket = createSocket('udp4');
      try {
        await bindUdp(socket, port);
      } catch (error) {
        // The UDP twin of a free TCP port can be taken; another port will do.
        socket.close();
        tcp.close();
        if (attempt >= 5) throw error;
        continue;
      }
      socket.on('message', (data, remote) => this.datagram(data, `${remote.address}:${remote.port}`));
      this.tcp = tcp;
      this.udp = socket;
      this.port = port;
      return;
    }
  }

  private datagram(data: Buffer, remote: string): void {
    const replies: Buffer[] = [];
    for (const message of new MessageReader().push(data)) {
      if (message.command !== command.search) continue;
      const reply = this.search(message, 'udp', remote);
      if (reply) replies.push(reply);
    }
    if (replies.length === 0 || !this.udp) return;
    const [host, port] = [remote.slice(0, remote.lastIndexOf(':')), Number(remote.slice(remote.lastIndexOf(':') + 1))];
    this.udp.send(Buffer.concat([this.versionMessage(), ...replies]), port, host);
  }

  private versionMessage(): Buffer {
    return encodeMessage({ command: command.version, dataType: 0, dataCount: minorVersion, param1: 0, param2: 0 });
  }

  /** A SEARCH reply (the port in the data type, "use the address you asked" as 0xFFFFFFFF), or null. */
  private search(message: CaMessage, transport: 'tcp' | 'udp', remote: string): Buffer | null {
    const name = payloadString(message.payload);
    const found = this.pvs.has(name);
    this.events.push({ kind: 'search', pv: name, found, transport, remote, at: new Date() });
    if (!found) {
      if (transport === 'udp' || message.dataType !== searchDoReply) return null;
      return encodeMessage({ ...message, command: command.notFound, payload: Buffer.alloc(0) });
    }
    const payload = Buffer.alloc(8);
    payload.writeUInt16BE(minorVersion, 0);
    return encodeMessage({
      command: command.search,
      dataType: this.port,
      dataCount: 0,
      param1: 0xffffffff,
      param2: message.param2,
      payload,
    });
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const circuit: Circuit = { socket, client: { host: '', user: '', remote }, channels: new Map() };
    this.circuits.add(circuit);
    this.events.push({ kind: 'circuit', remote, at: new Date() });
    const reader = new MessageReader();
    socket.on('data', (chunk) => {
      for (const message of reader.push(chunk)) this.handle(circuit, message);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.circuits.delete(circuit);
      for (const subscription of this.subscriptions) {
        if (subscription.circuit === circuit) this.subscriptions.delete(subscription);
      }
    });
    socket.write(this.versionMessage());
  }

  private send(circuit: Circuit, message: Buffer): void {
    if (!circuit.socket.destroyed) circuit.socket.write(message);
  }

  /** Handlers by command; VERSION, EVENTS_ON/OFF and the deprecated commands need no answer here. */
  private readonly handlers: Partial<Record<number, (circuit: Circuit, message: CaMessage) => void>> = {
    [command.search]: (circuit, message) => {
      const reply = this.search(message, 'tcp', circuit.client.remote);
      if (reply) this.send(circuit, reply);
    },
    [command.hostName]: (circuit, message) => (circuit.client.host = payloadString(message.payload)),
    [command.clientName]: (circuit, message) => (circuit.client.user = payloadString(message.payload)),
    [command.echo]: (circuit, message) => this.send(circuit, encodeMessage(message)),
    [command.createChannel]: (circuit, message) => this.createChannel(circuit, message),
    [command.clearChannel]: (circuit, message) => this.clearChannel(circuit, message),
    [command.readNotify]: (circuit, message) => this.read(circuit, message),
    [command.write]: (circuit, message) => this.write(circuit, message),
    [command.writeNotify]: (circuit, message) => this.write(circuit, message),
    [command.eventAdd]: (circuit, message) => this.subscribe(circuit, message),
    [command.eventCancel]: (circuit, message) => this.unsubscribe(circuit, message),
  };

  private handle(circuit: Circuit, message: CaMessage): void {
    this.handlers[message.command]?.(circuit, message);
  }

  private createChannel(circuit: Circuit, message: CaMessage): void {
    const name = payloadString(message.payload);
    const pv = this.pvs.get(name);
    const cid = message.param1;
    if (!pv) {
      this.send(circuit, encodeMessage({ command: command.createChannelFailed, dataType: 0, dataCount: 0, param1: cid, param2: 0 }));
      return;
    }
    this.events.push({ kind: 'channel', pv: name, at: new Date(), ...circuit.client });
    const sid = this.nextSid++;
    circuit.channels.set(sid, { pv, cid });
    const rights = pv.options.readOnly ? 1 : 3;
    this.send(circuit, encodeMessage({ command: command.accessRights, dataType: 0, dataCount: 0, param1: cid, param2: rights }));
    this.send(
      circuit,
      encodeMessage({
        command: command.createChannel,
        dataType: nativeType[pv.native],
        dataCount: pv.values.length,
        param1: cid,
        param2: sid,
      }),
    );
  }

  private clearChannel(circuit: Circuit, message: CaMessage): void {
    circuit.channels.delete(message.param1);
    for (const subscription of this.subscriptions) {
      if (subscription.circuit === circuit && subscription.sid === message.param1) this.subscriptions.delete(subscription);
    }
    this.send(circuit, encodeMessage({ ...message, payload: Buffer.alloc(0) }));
  }

  private metadata(pv: Pv): Metadata {
    return { units: pv.options.units, precision: pv.options.precision, timestamp: pv.timestamp };
  }

  /** The DBR payload, or null for a type this server does not serve. */
  private payload(pv: Pv, type: number, count: number): Buffer | null {
    try {
      return encodeDbr(type, count, pv.values, this.metadata(pv));
    } catch {
      return null;
    }
  }

  private read(circuit: Circuit, message: CaMessage): void {
    const channel = circuit.channels.get(message.param1);
    if (!channel) return;
    const count = message.dataCount || channel.pv.values.length;
    this.send(circuit, this.dataMessage(command.readNotify, channel.pv, message.dataType, count, message.param2));
  }

  /** A READ_NOTIFY or monitor update: ECA_BADTYPE without data for a type this server does not serve. */
  private dataMessage(kind: number, pv: Pv, type: number, count: number, id: number): Buffer {
    const payload = this.payload(pv, type, count);
    return encodeMessage({
      command: kind,
      dataType: type,
      dataCount: payload ? count : 0,
      param1: payload ? eca.normal : eca.badType,
      param2: id,
      payload: payload ?? Buffer.alloc(0),
    });
  }

  private write(circuit: Circuit, message: CaMessage): void {
    const channel = circuit.channels.get(message.param1);
    if (!channel) return;
    const { pv } = channel;
    const notify = message.command === command.writeNotify;
    const values = decodeWrite(message.dataType, message.dataCount, message.payload);
    const applied = values !== null && !pv.options.readOnly;
    const written = values ?? [];
    this.writes.push({
      pv: pv.name,
      value: written.length === 1 && written[0] !== undefined ? written[0] : written.map(Number),
      at: new Date(),
      notify,
      applied,
      ...circuit.client,
    });
    const status = values === null ? eca.badType : pv.options.readOnly ? eca.noWriteAccess : eca.normal;
    const finish = (): void => {
      if (applied) this.store(pv, written);
      if (notify) {
        this.send(circuit, encodeMessage({ ...message, param1: status, payload: Buffer.alloc(0) }));
      } else if (status !== eca.normal) {
        this.sendError(circuit, channel.cid, status, message);
      }
    };
    if (!applied || pv.options.writeDelayMs === 0) {
      finish();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      finish();
    }, pv.options.writeDelayMs);
    this.timers.add(timer);
  }

  /** CA_PROTO_ERROR: the offending request's header, then a message. */
  private sendError(circuit: Circuit, cid: number, status: number, request: CaMessage): void {
    const header = encodeMessage({ ...request, payload: Buffer.alloc(0) }).subarray(0, 16);
    const payload = Buffer.concat([header, stringPayload('write refused by the CA test server')]);
    this.send(circuit, encodeMessage({ command: command.error, dataType: 0, dataCount: 0, param1: cid, param2: status, payload }));
  }

  private store(pv: Pv, written: readonly Scalar[]): void {
    const limit = pv.options.clampAbove;
    pv.values = written.map((value) => {
      const native = toNative(value, pv.native);
      return limit !== undefined && typeof native === 'number' && native > limit ? limit : native;
    });
    pv.timestamp = new Date();
    for (const subscription of this.subscriptions) {
      if (subscription.pv === pv) this.post(subscription);
    }
  }

  private subscribe(circuit: Circuit, message: CaMessage): void {
    const channel = circuit.channels.get(message.param1);
    if (!channel) return;
    const mask = message.payload.length >= 14 ? message.payload.readUInt16BE(12) : dbeValue;
    const subscription: Subscription = {
      circuit,
      pv: channel.pv,
      sid: message.param1,
      id: message.param2,
      type: message.dataType,
      count: message.dataCount || channel.pv.values.length,
    };
    // A monitor without DBE_VALUE still gets its first update, as from an IOC.
    if (mask & dbeValue) this.subscriptions.add(subscription);
    this.post(subscription);
  }

  private post(subscription: Subscription): void {
    const { circuit, pv, type, count, id } = subscription;
    this.send(circuit, this.dataMessage(command.eventAdd, pv, type, count, id));
  }

  /** The confirmation of a cancel is an EVENT_ADD without payload. */
  private unsubscribe(circuit: Circuit, message: CaMessage): void {
    for (const subscription of this.subscriptions) {
      if (subscription.circuit === circuit && subscription.id === message.param2) this.subscriptions.delete(subscription);
    }
    this.send(circuit, encodeMessage({ ...message, command: command.eventAdd, payload: Buffer.alloc(0) }));
  }
}
