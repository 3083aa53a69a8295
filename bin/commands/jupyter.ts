/**
 * `pyexec jupyter`: a Jupyter Server for users who have none, started with
 * pyexec's kernelspecs (one per configured execution mode) and server
 * configuration (TCP_NODELAY on the kernel websocket, token from the
 * environment, no rate limits). It serves `--root` (default: the executions
 * root, so notebook links resolve), prints its URL, its token and the
 * configuration that points pyexec at it, and runs until SIGINT/SIGTERM,
 * then shuts its kernels down.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { stringify } from 'yaml';
import { JupyterNotInstalledError, startJupyterServer, type JupyterServerOptions, type RunningJupyterServer } from '../../adapters/kernels/jupyter/server.ts';
import { limitsRequired } from '../../adapters/limits/limits-kernel.ts';
import { defaultMaxProcesses } from '../../adapters/kernels/execution-limits.ts';
import { createLogger } from '../../logging/logger.ts';
import { SandboxUnavailableError } from '../../adapters/sandbox/index.ts';
import { UsageError } from '../connection.ts';
import { configFrom } from '../options.ts';
import { untilSignalled } from '../process-lifetime.ts';

interface JupyterOptions {
  config?: string;
  port: number;
  ip: string;
  root?: string;
}

export function jupyterCommand(): Command {
  return new Command('jupyter')
    .description("start a Jupyter Server with pyexec's kernelspecs and configuration, for execution_method: jupyter")
    .option('-c, --config <path>', 'configuration whose execution modes become kernelspecs (default: ./pyexec.config.yaml when present)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', portNumber, 8888)
    .option('--ip <address>', 'address to listen on', '127.0.0.1')
    .option('--root <dir>', 'folder the server serves, where execution folders live (default: config service.executions_root)')
    .action(async (options: JupyterOptions) => {
      await runJupyter(options);
    });
}

async function runJupyter(options: JupyterOptions): Promise<void> {
  const config = configFrom({ config: options.config });
  const rootDir = resolve(options.root ?? config.service.executions_root);
  mkdirSync(rootDir, { recursive: true });
  // With channel limits configured, a write kernel that finds no limits for its attempt refuses every write.
  const server = await start({
    modes: limitsRequired(config).execution.modes,
    rootDir,
    ip: options.ip,
    port: options.port,
    logger: createLogger(config.service.log_level),
    isolation: config.execution.isolation,
    sandboxLimits: { memoryMb: config.limits.memory_mb, maxProcesses: defaultMaxProcesses },
  });
  try {
    process.stdout.write(instructions(server, rootDir, Object.values(config.execution.modes).map((mode) => mode.kernel_name)));
    process.stderr.write(`pyexec jupyter: ready at ${server.url} (stop with Ctrl-C)\n`);
    const signal = await untilSignalled();
    process.stderr.write(`pyexec jupyter: ${signal}, shutting the server and its kernels down\n`);
  } finally {
    await server.stop();
  }
}

async function start(options: JupyterServerOptions): Promise<RunningJupyterServer> {
  try {
    return await startJupyterServer(options);
  } catch (error) {
    // Missing Debian packages are the user's to fix: one paragraph, not a stack trace.
    if (error instanceof JupyterNotInstalledError || error instanceof SandboxUnavailableError) throw new UsageError(error.message);
    throw error;
  }
}

/** What to put in the configuration to use this server; the token is printed once, here, for its owner. */
function instructions(server: RunningJupyterServer, rootDir: string, kernelNames: string[]): string {
  const snippet = stringify({
    execution: { execution_method: 'jupyter', jupyter: { url: server.url, token: server.token, public_url: server.url } },
    service: { executions_root: rootDir },
  });
  return [
    `Jupyter Server: ${server.url}`,
    `token: ${server.token}`,
    `serving: ${rootDir}`,
    `kernelspecs: ${kernelNames.join(', ')}`,
    '',
    'Add to your pyexec configuration (pyexec.config.yaml):',
    '',
    snippet,
  ].join('\n');
}

function portNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return value;
}
