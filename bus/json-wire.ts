/**
 * What crosses the bus is JSON, in-process too: a message is encoded and
 * decoded like on the wire, so no receiver shares an object with its sender
 * and nothing works in-process that would fail on NATS.
 */
export function toWire(data: unknown): string {
  const text = JSON.stringify(data);
  if (text === undefined) throw new TypeError('message is not JSON-serialisable');
  return text;
}

export function fromWire(text: string): unknown {
  return JSON.parse(text) as unknown;
}
