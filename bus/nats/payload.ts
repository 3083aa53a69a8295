/**
 * Payloads on NATS are JSON text, as in-process (../json-wire.ts). Anyone can
 * publish on a public subject, so a payload that is not JSON is handed over
 * as its raw text: the receiver's zod schema then refuses it ("expected
 * object, received string") and reports it, instead of the bus dropping it
 * silently.
 */
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { MessageHeaders } from '../bus.ts';
import { fromWire, toWire } from '../json-wire.ts';

export const encodePayload = toWire;

export function decodePayload(text: string): unknown {
  try {
    return fromWire(text);
  } catch {
    return text;
  }
}

/** True when `error` or one of its causes is an instance of `kind`. */
export function causedBy(error: unknown, kind: abstract new (...args: never[]) => Error): boolean {
  const chain: unknown[] = [];
  for (let current: unknown = error; current instanceof Error; current = current.cause) chain.push(current);
  return chain.some((link) => link instanceof kind);
}

/** Our plain header record as NATS headers; undefined when there are none (no header block is sent). */
export function toNatsHeaders(record: MessageHeaders | undefined): MsgHdrs | undefined {
  if (!record) return undefined;
  const entries = Object.entries(record);
  if (entries.length === 0) return undefined;
  const natsHeaders = headers();
  for (const [name, value] of entries) natsHeaders.set(name, value);
  return natsHeaders;
}

/** NATS headers as a plain record (first value of each); undefined when the message had none. */
export function fromNatsHeaders(natsHeaders: MsgHdrs | undefined): MessageHeaders | undefined {
  if (!natsHeaders) return undefined;
  const record: Record<string, string> = {};
  for (const [name, values] of natsHeaders) if (values[0] !== undefined) record[name] = values[0];
  return record;
}
