/**
 * The bearer token of the HTTP transport: compared in constant time (over
 * hashes, so the length leaks nothing either). Every request needs it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Tokens shorter than this are refused at start: guessable. */
export const minimumTokenLength = 24;

export function bearerCheck(token: string): (request: IncomingMessage) => boolean {
  const expected = digest(token);
  return (request) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
