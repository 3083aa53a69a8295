/**
 * The attacker's bench for the isolation tests: a real local kernel (warm,
 * the executor's path) in the real sandbox, real pyepics against two Channel
 * Access test servers, secrets planted where the old kernel leaked them, and
 * ways to look from outside: every byte an execution returned or left, every
 * connection a listener saw, every write a server logged.
 *
 * Channel Access deployment as docs/isolation.md describes it: the read-only
 * mode may reach only the read-only gateway (`gateway`, every PV read-only),
 * the write mode only the write gateway (`ioc`). Attacks run in read-only
 * mode and aim at the writable `ioc`.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { ExecuteJob, ExecuteResult } from '../../protocol/internal.ts';
import { configSchema } from '../../config/schema.ts';
import type { Kernel } from '../../adapters/kernels/kernel.ts';
import { createLocalKernel, localKernelOptions } from '../../adapters/kernels/local/index.ts';
import { kernelContext } from '../../adapters/kernels/registry.ts';
import { CaServer } from '../support/ca-server.ts';
import { tempDir } from '../support/temp.ts';
import { executeJob } from '../support/fixtures.ts';

export const secrets = {
  OPENAI_API_KEY: 'sk-isolation-planted-api-key-7f3a9c',
  PYEXEC_NATS_PASSWORD: 'nats-isolation-planted-password-51be',
  homeFile: 'isolation-planted-ssh-key-e02d44',
  configFile: 'isolation-planted-config-secret-9d17',
  stateFile: 'isolation-planted-state-secret-3c8b',
  siblingFile: 'isolation-planted-sibling-results-a6f0',
};

const pvs = {
  'SR:MAG:SET': { value: 1.5 },
  'SR:C01:CURRENT': { value: 402.5 },
};

/** A loopback TCP listener that counts who connected (the NATS server, the review page, "the outside"). */
export interface Listener {
  port: number;
  connections: number;
  close(): Promise<void>;
}

export async function listener(): Promise<Listener> {
  const state = { connections: 0 };
  const server: Server = createServer((socket) => {
    state.connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    get connections() {
      return state.connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Rig {
  kernel: Kernel;
  /** Writable PVs: reachable only from the write mode. */
  ioc: CaServer;
  /** Every PV read-only: the only server the read-only mode reaches. */
  gateway: CaServer;
  root: string;
  serviceHome: string;
  configPath: string;
  stateDir: string;
  siblingFolder: string;
  run(code: string, overrides?: Partial<ExecuteJob>): Promise<{ job: ExecuteJob; result: ExecuteResult }>;
  close(): Promise<void>;
}

export interface RigOptions {
  warm?: boolean;
  memoryMb?: number;
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const temp = tempDir('pyexec-isolation-');
  const root = temp.path;
  chmodSync(root, 0o755);
  const ioc = await CaServer.start({ pvs, udp: false });
  const gateway = await CaServer.start({
    pvs: Object.fromEntries(Object.entries(pvs).map(([name, pv]) => [name, { ...pv, readOnly: true }])),
    udp: false,
  });
  // Where the service keeps what the code must never see.
  const serviceHome = join(root, 'service-home');
  mkdirSync(join(serviceHome, '.ssh'), { recursive: true });
  writeFileSync(join(serviceHome, '.ssh', 'id_ed25519'), secrets.homeFile, { mode: 0o600 });
  const configPath = join(root, 'pyexec.config.yaml');
  writeFileSync(configPath, `# ${secrets.configFile}\n`, { mode: 0o600 });
  const stateDir = join(root, 'state');
  mkdirSync(stateDir);
  writeFileSync(join(stateDir, 'kv.json'), secrets.stateFile, { mode: 0o600 });
  const siblingFolder = join(root, 'executions', 'other-execution');
  mkdirSync(siblingFolder, { recursive: true });
  writeFileSync(join(siblingFolder, 'results.json'), JSON.stringify({ secret: secrets.siblingFile }));
  const saved = { ...process.env };
  Object.assign(process.env, {
    OPENAI_API_KEY: secrets.OPENAI_API_KEY,
    PYEXEC_NATS_PASSWORD: secrets.PYEXEC_NATS_PASSWORD,
    PYEXEC_CONFIG: configPath,
    HOME: serviceHome,
  });
  const caEnvironment = (server: CaServer) => ({
    EPICS_CA_NAME_SERVERS: `localhost:${server.port}`,
    EPICS_CA_AUTO_ADDR_LIST: 'NO',
    EPICS_CA_ADDR_LIST: '',
  });
  const config = configSchema.parse({
    execution: {
      local: { python_env_path: '/usr/bin/python3' },
      modes: {
        read_only: { kernel_name: 'python3', allows_writes: false, environment: caEnvironment(gateway), network: [`localhost:${gateway.port}`] },
        write_access: { kernel_name: 'python3', allows_writes: true, environment: caEnvironment(ioc), network: [`localhost:${ioc.port}`] },
      },
    },
    limits: { memory_mb: options.memoryMb ?? 2048, output_cap_bytes: 1_000_000 },
  });
  const kernel = createLocalKernel(localKernelOptions(config.execution.local, kernelContext(config, { warm: options.warm ?? true })));
  let jobs = 0;
  return {
    kernel,
    ioc,
    gateway,
    root,
    serviceHome,
    configPath,
    stateDir,
    siblingFolder,
    async run(code, overrides = {}) {
      jobs += 1;
      const folder = join(root, 'executions', `execution-${jobs}`);
      mkdirSync(folder, { recursive: true });
      const job = executeJob(code, folder, { command_id: `isolation:${jobs}`, execution_id: `isolation-${String(jobs).padStart(4, '0')}`, ...overrides });
      return { job, result: await kernel.execute(job) };
    },
    async close() {
      await kernel.close();
      await ioc.close();
      await gateway.close();
      for (const name of ['OPENAI_API_KEY', 'PYEXEC_NATS_PASSWORD', 'PYEXEC_CONFIG', 'HOME']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      temp.remove();
    },
  };
}

/** Everything an execution gave back: its result and every file in its folder. */
export function everythingReturned(result: ExecuteResult, folder: string): string {
  const parts = [JSON.stringify(result)];
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const child = join(path, name);
      if (statSync(child).isDirectory()) walk(child);
      else parts.push(name, readFileSync(child, 'latin1'));
    }
  };
  if (existsSync(folder)) walk(folder);
  return parts.join('\n');
}

/** Paths below `folder` (recursive), for "nothing appeared here" checks. */
export function listing(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true }).map(String).sort();
}
