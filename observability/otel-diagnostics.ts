/**
 * What the OpenTelemetry SDK has to say (a batch the collector did not take,
 * spans dropped from a full queue) goes to the process's log, where an
 * operator sees that traces are being lost. The SDK reports through its
 * global `diag` logger, silent unless one is set. A collector that stays
 * down fails every batch: the same message is logged once a minute with how
 * often it recurred, not twice a second.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import type { Logger } from '../logging/logger.ts';

const repeatWindowMs = 60_000;

class ThrottledDiagnostics implements DiagLogger {
  private readonly lastLogged = new Map<string, { at: number; repeats: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  error = (message: string) => this.log('error', message);
  warn = (message: string) => this.log('warn', message);
  info = () => undefined;
  debug = () => undefined;
  verbose = () => undefined;

  private log(level: 'error' | 'warn', reported: string): void {
    const message = readableMessage(reported);
    const now = this.now();
    const last = this.lastLogged.get(message);
    if (last && now - last.at < repeatWindowMs) {
      last.repeats += 1;
      return;
    }
    this.forgetQuiet(now);
    this.lastLogged.set(message, { at: now, repeats: 0 });
    this.logger[level]({ component: 'opentelemetry', repeats_since_last: last?.repeats ?? 0 }, message);
  }

  /** Messages that vary ("Dropped 12 spans") would pile up: one past its window with nothing to report is forgotten. */
  private forgetQuiet(now: number): void {
    for (const [message, entry] of this.lastLogged) if (entry.repeats === 0 && now - entry.at >= repeatWindowMs) this.lastLogged.delete(message);
  }
}

/**
 * The SDK reports a failed export as the exception serialised to JSON
 * (stack and all): its message is what an operator reads, and what repeats.
 */
function readableMessage(reported: string): string {
  if (!reported.startsWith('{')) return reported;
  try {
    const exception: unknown = JSON.parse(reported);
    const message = typeof exception === 'object' && exception !== null && 'message' in exception ? exception.message : undefined;
    return typeof message === 'string' ? `span export failed: ${message}` : reported;
  } catch {
    return reported;
  }
}

/** Routes the SDK's warnings and errors to `logger` for this process (the `diag` logger is global). */
export function logOpenTelemetryDiagnostics(logger: Logger, now: () => number = Date.now): void {
  diag.setLogger(new ThrottledDiagnostics(logger, now), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
