/**
 * The configured limits file, kept current: each use looks at the file's
 * identity (inode, size, modification and change times; one stat) and
 * reloads it when that changed, so an edited file applies to the next
 * analysis and the next write job without a restart, and each of them names
 * the version it used. A file that becomes invalid does not fall back to the
 * old limits, nor to none: the database is `unavailable` and every write is
 * refused until the file is fixed (fail closed, as the peer's failsafe).
 *
 * At start the file must load (openLimitsSource throws LimitsFileError).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../../config/load.ts';
import type { ChannelLimitsReport } from '../../protocol/channel-limits.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../logging/logger.ts';
import type { LimitsDatabase, UnlistedPolicy } from './database.ts';
import { loadLimitsFile, LimitsFileError } from './load.ts';

export type LimitsState =
  | { kind: 'loaded'; database: LimitsDatabase }
  | { kind: 'unavailable'; origin: string; policy: UnlistedPolicy; reason: string };

function identity(path: string): string {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
  } catch (error) {
    return `missing:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

export class LimitsSource {
  private seen: string;
  private state: LimitsState;

  private constructor(
    readonly path: string,
    readonly policy: UnlistedPolicy,
    private readonly logger: Logger | undefined,
  ) {
    this.seen = identity(path);
    this.state = { kind: 'loaded', database: loadLimitsFile(path, policy) };
  }

  /** Loads the file now; throws LimitsFileError when it is missing or invalid. */
  static open(path: string, policy: UnlistedPolicy, logger?: Logger): LimitsSource {
    return new LimitsSource(resolve(path), policy, logger);
  }

  /** The limits as the file is now. */
  current(): LimitsState {
    const now = identity(this.path);
    if (now === this.seen) return this.state;
    this.seen = now;
    try {
      const database = loadLimitsFile(this.path, this.policy);
      this.state = { kind: 'loaded', database };
      this.logger?.info({ file: this.path, version: database.version, entries: database.entryCount }, 'channel limits reloaded');
    } catch (error) {
      const reason = error instanceof LimitsFileError ? error.message : String(error);
      this.state = { kind: 'unavailable', origin: this.path, policy: this.policy, reason };
      this.logger?.error({ file: this.path, reason }, 'channel limits file invalid: every write is refused until it is fixed');
    }
    return this.state;
  }
}

/** The configured source, or null when no limits file is configured; a file that does not load is a configuration error. */
export function openLimitsSource(config: Pick<Config, 'control_system'>, logger?: Logger): LimitsSource | null {
  const { file, policy } = config.control_system.limits;
  if (file === null) return null;
  try {
    return LimitsSource.open(file, policy, logger);
  } catch (error) {
    if (error instanceof LimitsFileError) throw new ConfigError(`control_system.limits.file: ${error.message}`, file);
    throw error;
  }
}

/** Version, file, policy (and why unavailable): the head of every limits record. */
export function databaseFields(state: LimitsState): Omit<ChannelLimitsReport, 'writes'> {
  return state.kind === 'loaded'
    ? { version: state.database.version, file: state.database.origin, policy: state.database.policy }
    : { version: null, file: state.origin, policy: state.policy, unavailable: state.reason };
}
