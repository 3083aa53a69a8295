/**
 * Structured logs (pino) to stderr, so stdout stays free for results and
 * --json. Secrets are redacted by key name wherever they appear.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const secretKeys = ['api_key', 'apiKey', 'token', 'password', 'authorization', 'secret', 'seed', 'nkey'];

export function createLogger(level: string = process.env.PYEXEC_LOG_LEVEL ?? 'warn', name = 'pyexec'): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]), censor: '[redacted]' },
    },
    pino.destination(2),
  );
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = pino({ level: 'silent' });
