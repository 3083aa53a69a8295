/**
 * Runs a Python script with Debian's real pyepics (/usr/bin/python3: the
 * python3 first on PATH may lack epics) against a CA test server, and returns
 * the JSON the script printed on its last line.
 */
import { execFile } from 'node:child_process';
import type { CaServer } from '../ca-server.ts';

export const debianPython = '/usr/bin/python3';

/**
 * pyepics waits 2 s for a channel to connect by default (PV.wait_for_connection,
 * ca.connect_channel): on a loaded machine the connection callback comes later
 * and the PV's type is still "unknown". The scripts get the process's 30 s.
 */
const prelude = 'import epics.ca\nepics.ca.DEFAULT_CONNECTION_TIMEOUT = 25.0\n';

export function runPyepics(server: CaServer, script: string, env: Record<string, string> = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      debianPython,
      ['-c', prelude + script],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...server.environment, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`pyepics script failed: ${error.message}\n${stderr}`));
          return;
        }
        const last = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolve(JSON.parse(last));
        } catch {
          reject(new Error(`pyepics script printed no JSON: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}
