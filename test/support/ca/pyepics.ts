/**
 * Runs a Python script with Debian's real pyepics (/usr/bin/python3: the
 * python3 first on PATH may lack epics) against a CA test server, and returns
 * the JSON the script printed on its last line.
 */
import { execFile } from 'node:child_process';
import type { CaServer } from '../ca-server.ts';

export const debianPython = '/usr/bin/python3';

export function runPyepics(server: CaServer, script: string, env: Record<string, string> = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      debianPython,
      ['-c', script],
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
