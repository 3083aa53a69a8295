/** A test file on one service: the service started around the file's tests. */
import { afterAll, beforeAll } from 'vitest';
import { startService, type PyexecService } from '../../actors/service.ts';
import type { ConfigInput } from '../../config/schema.ts';
import { configOf, serviceSetup, type ServiceSetup } from './service-config.ts';
import { tempDir } from './temp.ts';

export interface ServicePerFile {
  readonly folder: string;
  readonly setup: ServiceSetup;
  /** Started before the file's first test, stopped after its last. */
  readonly service: PyexecService;
}

/** For a test file on one service: its temporary folder and configuration now, the service around the file's tests. */
export function servicePerFile(prefix: string, overrides: Partial<ConfigInput> = {}): ServicePerFile {
  const folder = tempDir(prefix);
  const setup = serviceSetup(folder.path, overrides);
  let service: PyexecService | undefined;
  beforeAll(async () => {
    service = await startService(configOf(setup), { warmKernel: false });
  });
  afterAll(async () => {
    await service?.stop();
    folder.remove();
  });
  return {
    folder: folder.path,
    setup,
    get service() {
      if (!service) throw new Error('the service runs only while the file\'s tests do');
      return service;
    },
  };
}
