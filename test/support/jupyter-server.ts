/**
 * A real Jupyter Server for tests: Debian's jupyter-server on a free port,
 * with a random token, a temporary root folder (where execution folders go)
 * and pyexec's kernelspecs and configuration. Fails with the apt packages to
 * install when jupyter-server or python3-ipykernel is missing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema, type Config, type ConfigInput } from '../../config/schema.ts';
import { startJupyterServer, type RunningJupyterServer } from '../../adapters/kernels/jupyter/server.ts';
import { tempDir } from './temp.ts';

export interface TestJupyterServer {
  readonly server: RunningJupyterServer;
  /** Root of the server; make execution folders under it. */
  readonly root: string;
  /** The configuration pointing at this server, with `jupyter` settings merged in. */
  config(jupyter?: Partial<Config['execution']['jupyter']>, rest?: Omit<ConfigInput, 'execution'>): Config;
  /** A fresh execution folder under the root. */
  folder(name: string): string;
  stop(): Promise<void>;
}

export interface TestJupyterServerOptions {
  nodelay?: boolean;
  /** The execution modes (default: the configuration's defaults). */
  modes?: Config['execution']['modes'];
  /** `sandbox` (default) or `none`, as execution.isolation. */
  isolation?: Config['execution']['isolation'];
}

export async function startTestJupyterServer(options: TestJupyterServerOptions = {}): Promise<TestJupyterServer> {
  const root = tempDir('pyexec-jupyter-root-');
  const modes = options.modes ?? configSchema.parse({}).execution.modes;
  const isolation = options.isolation ?? 'sandbox';
  let server: RunningJupyterServer;
  try {
    server = await startJupyterServer({ modes, rootDir: root.path, nodelay: options.nodelay ?? true, isolation });
  } catch (error) {
    root.remove();
    throw error;
  }
  return {
    server,
    root: root.path,
    config: (jupyter = {}, rest = {}) =>
      configSchema.parse({ ...rest, execution: { modes, isolation, jupyter: { url: server.url, token: server.token, ...jupyter } } }),
    folder: (name) => {
      const path = join(root.path, name);
      mkdirSync(path, { recursive: true });
      return path;
    },
    stop: async () => {
      await server.stop();
      root.remove();
    },
  };
}
