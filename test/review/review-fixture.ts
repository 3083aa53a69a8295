/** The real service with the review page on it and a Chromium to drive it: what the page's browser tests start. */
import type { Browser } from 'playwright-core';
import { startService, type PyexecService } from '../../actors/service.ts';
import { silentLogger } from '../../logging/logger.ts';
import type { Config } from '../../config/schema.ts';
import { startReviewPage, type ReviewServer } from '../../review/index.ts';
import { launchChromium } from './browser.ts';

export interface ReviewFixture {
  service: PyexecService;
  server: ReviewServer;
  browser: Browser;
  stop(): Promise<void>;
}

export async function startReviewFixture(config: Config): Promise<ReviewFixture> {
  const service = await startService(config, { warmKernel: false });
  const server = await startReviewPage(config, service.transport, silentLogger, { port: 0 });
  const browser = await launchChromium();
  return {
    service,
    server,
    browser,
    stop: async () => {
      await browser.close();
      await server.close();
      await service.stop();
    },
  };
}
