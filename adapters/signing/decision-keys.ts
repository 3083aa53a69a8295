/**
 * Approver keys and signed decisions. A key is an nkey user seed (ed25519)
 * kept in a file readable only by its owner; its public key (`U…`) goes into
 * config approval.approvers. A signature covers decisionSigningPayload()
 * (protocol/signing.ts), which is also what the supervisor checks.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';
import type { ApprovalDecision } from '../../protocol/public.ts';
import { PyexecError } from '../../protocol/errors.ts';
import { decisionSigningPayload } from '../../protocol/signing.ts';

export class KeyFileError extends PyexecError {
  constructor(message: string) {
    super('key_file', message);
    this.name = 'KeyFileError';
  }
}

export interface ApproverKey {
  readonly publicKey: string;
  sign(decision: ApprovalDecision): ApprovalDecision;
}

/** Makes a new key and writes its seed to `path` (mode 0600; an existing file is never overwritten). */
export function createKeyFile(path: string): { publicKey: string } {
  const pair = createUser();
  try {
    writeFileSync(path, `${new TextDecoder().decode(pair.getSeed())}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST') throw new KeyFileError(`${path}: already exists (not overwritten)`);
    throw error;
  }
  return { publicKey: pair.getPublicKey() };
}

/** Reads a seed file written by createKeyFile (or `nsc`/`nk`): a user seed `SU…`. */
export function readKeyFile(path: string): ApproverKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new KeyFileError(`${path}: cannot read the key file (${error instanceof Error ? error.message : String(error)})`);
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new KeyFileError(`${path}: readable by others; run chmod 600 ${path}`);
  if (!text.startsWith('SU')) throw new KeyFileError(`${path}: not an nkey user seed (expected text starting with "SU")`);
  let pair: KeyPair;
  try {
    pair = fromSeed(new TextEncoder().encode(text));
  } catch (error) {
    throw new KeyFileError(`${path}: not a valid nkey seed (${error instanceof Error ? error.message : String(error)})`);
  }
  return approverKey(pair);
}

export function approverKey(pair: KeyPair): ApproverKey {
  const publicKey = pair.getPublicKey();
  return {
    publicKey,
    sign: (decision) => ({
      ...decision,
      public_key: publicKey,
      signature: Buffer.from(pair.sign(decisionSigningPayload(decision))).toString('base64url'),
    }),
  };
}
