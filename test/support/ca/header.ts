/**
 * Channel Access message headers (protocol 4.13): 16 big-endian bytes, or 24
 * when the payload or the element count does not fit 16 bits (the "large"
 * form: size 0xFFFF and count 0, then the real size and count as 32 bits).
 * Payloads are padded to a multiple of 8 bytes.
 */

export const command = {
  version: 0,
  eventAdd: 1,
  eventCancel: 2,
  write: 4,
  search: 6,
  eventsOff: 8,
  eventsOn: 9,
  error: 11,
  clearChannel: 12,
  notFound: 14,
  readNotify: 15,
  createChannel: 18,
  writeNotify: 19,
  clientName: 20,
  hostName: 21,
  accessRights: 22,
  echo: 23,
  createChannelFailed: 26,
} as const;

/** ECA status codes, as libca's ca_message() names them. */
export const eca = { normal: 1, badType: 114, putFail: 160, noWriteAccess: 376 } as const;

export const minorVersion = 13;
/** SEARCH's data type when the client wants a NOT_FOUND answer. */
export const searchDoReply = 10;

export interface CaMessage {
  command: number;
  dataType: number;
  dataCount: number;
  param1: number;
  param2: number;
  payload: Buffer;
}

const padded = (size: number): number => (size + 7) & ~7;

export function encodeMessage(message: Omit<CaMessage, 'payload'> & { payload?: Buffer }): Buffer {
  const body = message.payload ?? Buffer.alloc(0);
  const size = padded(body.length);
  const large = size >= 0xffff || message.dataCount > 0xffff;
  const header = Buffer.alloc(large ? 24 : 16);
  header.writeUInt16BE(message.command, 0);
  header.writeUInt16BE(large ? 0xffff : size, 2);
  header.writeUInt16BE(message.dataType, 4);
  header.writeUInt16BE(large ? 0 : message.dataCount, 6);
  header.writeUInt32BE(message.param1 >>> 0, 8);
  header.writeUInt32BE(message.param2 >>> 0, 12);
  if (large) {
    header.writeUInt32BE(size, 16);
    header.writeUInt32BE(message.dataCount, 20);
  }
  return Buffer.concat([header, body, Buffer.alloc(size - body.length)]);
}

/** Splits a byte stream into messages; keeps an incomplete tail for the next chunk. */
export class MessageReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): CaMessage[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const messages: CaMessage[] = [];
    for (;;) {
      const message = this.next();
      if (!message) return messages;
      messages.push(message);
    }
  }

  private next(): CaMessage | null {
    const buffer = this.pending;
    if (buffer.length < 16) return null;
    let size = buffer.readUInt16BE(2);
    let dataCount = buffer.readUInt16BE(6);
    let headerSize = 16;
    if (size === 0xffff && dataCount === 0) {
      if (buffer.length < 24) return null;
      size = buffer.readUInt32BE(16);
      dataCount = buffer.readUInt32BE(20);
      headerSize = 24;
    }
    if (buffer.length < headerSize + size) return null;
    this.pending = buffer.subarray(headerSize + size);
    return {
      command: buffer.readUInt16BE(0),
      dataType: buffer.readUInt16BE(4),
      dataCount,
      param1: buffer.readUInt32BE(8),
      param2: buffer.readUInt32BE(12),
      payload: Buffer.from(buffer.subarray(headerSize, headerSize + size)),
    };
  }
}

/** A NUL-terminated (and padded) string payload such as a PV, host or user name. */
export function payloadString(payload: Buffer): string {
  const end = payload.indexOf(0);
  return payload.subarray(0, end === -1 ? payload.length : end).toString('latin1');
}

export function stringPayload(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'latin1'), Buffer.alloc(1)]);
}
