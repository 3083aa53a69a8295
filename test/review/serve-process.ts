/**
 * `pyexec serve --ui` as its own process (the embedded default), with the
 * review settings given: the attacked server runs apart from the test, which
 * sees only its HTTP answers, its log (stderr) and its files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCli, type CliRun } from '../support/cli.ts';

export interface ServeProcess {
  /** The page's URL, as the process printed it. */
  url: string;
  executionsRoot: string;
  log(): string;
  stop(): Promise<void>;
}

export async function startServeUi(root: string, ui: Record<string, unknown>): Promise<ServeProcess> {
  const executionsRoot = join(root, 'executions');
  const configFile = join(root, 'pyexec.config.json');
  // JSON is YAML: the config loader reads it as it is.
  writeFileSync(configFile, JSON.stringify({ service: { executions_root: executionsRoot, log_level: 'info' }, ui }));
  let run: CliRun | null = startCli(['serve', '--ui', '--port', '0', '--config', configFile], { cwd: root });
  let stderr = '';
  run.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await run.waitForStderr('review page at ', 60_000);
  } catch (error) {
    run.child.kill('SIGTERM');
    throw error;
  }
  const url = /review page at (http:\/\/\S+)/.exec(stderr)?.[1] ?? '';
  return {
    url,
    executionsRoot,
    log: () => stderr,
    stop: async () => {
      if (!run) return;
      const { child, result } = run;
      run = null;
      child.kill('SIGTERM');
      await result;
    },
  };
}
