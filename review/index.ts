/** The review page as `pyexec serve --ui` starts it: settings from config, checked before anything listens. */
import type { Transport } from '../bus/transport.ts';
import { PyexecError } from '../protocol/errors.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logging/logger.ts';
import { readKeyFile, type ApproverKey } from '../adapters/signing/decision-keys.ts';
import { startReviewServer, type ReviewServer } from './server.ts';

export type { ReviewServer } from './server.ts';
export { startReviewServer } from './server.ts';

export class ReviewConfigError extends PyexecError {
  constructor(message: string) {
    super('invalid_config', message);
    this.name = 'ReviewConfigError';
  }
}

export interface ReviewPageSettings {
  signer: ApproverKey | null;
}

/** Checks the ui section and reads the signing key: called before anything starts, so a mistake stops nothing half-started. */
export function reviewPageSettings(config: Config): ReviewPageSettings {
  if (config.ui.users.length === 0) throw new ReviewConfigError('the review page needs operators: add ui.users to the configuration (docs/review.md)');
  const signer = config.ui.signing_key_file ? readKeyFile(config.ui.signing_key_file) : null;
  if (config.approval.require_signed_decisions && (!signer || !config.approval.approvers.includes(signer.publicKey))) {
    throw new ReviewConfigError(
      `approval.require_signed_decisions is on, so the page must sign: set ui.signing_key_file to a key whose public key is in approval.approvers${signer ? ` (${signer.publicKey} is not)` : ''}`,
    );
  }
  return { signer };
}

export async function startReviewPage(
  config: Config,
  transport: Transport,
  logger: Logger,
  overrides: { port?: number; host?: string } = {},
  settings: ReviewPageSettings = reviewPageSettings(config),
): Promise<ReviewServer> {
  return startReviewServer({ transport, config, logger, signer: settings.signer, ...overrides });
}
