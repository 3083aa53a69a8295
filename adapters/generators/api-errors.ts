/**
 * SDK errors as generation failures. Both SDKs already retry 408/409/429/5xx
 * and connection failures with exponential backoff (honouring retry-after);
 * what reaches here is final for this call:
 * - unreachable, timed out, rate-limited, overloaded, malformed answers →
 *   `infrastructure` (the statechart retries later; no attempt consumed);
 * - rejected key, unknown model or endpoint, refused request → `configuration`
 *   (retrying cannot help: fail fast, say what to fix).
 */
import { GenerationError } from './generator.ts';
import { redact } from './redact.ts';

type ErrorClass = abstract new (...args: never[]) => Error;

/** The four classes both SDKs export under the same names. */
export interface SdkErrorClasses {
  APIError: abstract new (...args: never[]) => Error & { status: number | undefined };
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
  APIUserAbortError: ErrorClass;
}

export interface ApiCallContext {
  generator: string;
  endpoint: string;
  model: string;
  /** Where the key came from (an environment variable, a config key). */
  keySource: string;
  timeoutSeconds: number;
  maxRetries: number;
  secrets: readonly string[];
}

function retryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function describe(error: Error & { status: number | undefined }, context: ApiCallContext): { kind: GenerationError['kind']; message: string } {
  const { status } = error;
  const server = `${context.endpoint} (generator "${context.generator}")`;
  const detail = error.message;
  if (status === undefined || retryableStatus(status)) {
    const tries = status === undefined ? '' : ` after ${context.maxRetries + 1} tries`;
    return { kind: 'infrastructure', message: `${server} failed${tries}: ${detail}` };
  }
  if (status === 401 || status === 403) {
    return { kind: 'configuration', message: `${server} rejected the API key (${detail}); check ${context.keySource}` };
  }
  if (status === 404) {
    return {
      kind: 'configuration',
      message: `${server} does not know model "${context.model}" or the endpoint (${detail}); check model and base_url`,
    };
  }
  return { kind: 'configuration', message: `${server} refused the request for model "${context.model}" (${detail})` };
}

/** fetch wraps the useful part ("connect ECONNREFUSED 127.0.0.1:8000") a few causes deep. */
function rootCause(error: Error): string {
  let deepest = error;
  while (deepest.cause instanceof Error) deepest = deepest.cause;
  return deepest.message;
}

export function classifyApiError(error: unknown, sdk: SdkErrorClasses, context: ApiCallContext): GenerationError {
  if (error instanceof GenerationError) return error;
  const server = `${context.endpoint} (generator "${context.generator}")`;
  let kind: GenerationError['kind'] = 'infrastructure';
  let message: string;
  if (error instanceof sdk.APIUserAbortError) {
    message = `request to ${server} was aborted`;
  } else if (error instanceof sdk.APIConnectionTimeoutError) {
    message = `${server} did not answer within ${context.timeoutSeconds} s (${context.maxRetries + 1} tries)`;
  } else if (error instanceof sdk.APIConnectionError) {
    message = `cannot reach ${server} after ${context.maxRetries + 1} tries: ${rootCause(error)}`;
  } else if (error instanceof sdk.APIError) {
    ({ kind, message } = describe(error, context));
  } else {
    message = `malformed answer from ${server}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return new GenerationError(kind, redact(message, context.secrets));
}
