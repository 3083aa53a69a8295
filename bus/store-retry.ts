/**
 * Calls to a store (the KV store, the audit log) that must not be lost to a
 * passing outage: while the store is unavailable (timeout, reconnecting, no
 * JetStream leader) the call is repeated with a growing pause. Refusals
 * (CasConflictError and the rest) are not retried. A retried write may have
 * landed the first time: only idempotent calls belong here (KV creates and
 * compare-and-sets recognise their own write on a conflict afterwards; audit
 * log messages carry ids the stream stores once).
 */
import { StoreUnavailableError } from './kv-store.ts';

const firstPauseMs = 100;
const maxPauseMs = 2_000;

/** `onRetry` is told of every failed attempt; it may throw to give up. */
export async function whileUnavailable<T>(call: () => Promise<T>, onRetry: (error: StoreUnavailableError) => void): Promise<T> {
  for (let pauseMs = firstPauseMs; ; pauseMs = Math.min(maxPauseMs, pauseMs * 2)) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      onRetry(error);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}
