/**
 * Payloads on NATS are JSON text, as in-process (../json-wire.ts). Anyone can
 * publish on a public subject, so a payload that is not JSON is handed over
 * as its raw text: the receiver's zod schema then refuses it ("expected
 * object, received string") and reports it, instead of the bus dropping it
 * silently.
 */
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
