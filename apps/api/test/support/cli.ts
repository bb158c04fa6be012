import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const DIST = join(__dirname, '..', '..', 'dist');

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a built entry point (dist/cli.js, dist/main.js) the way operators do. */
export async function runBuilt(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<ProcessResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(DIST, script), ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
      // Generous: a process boots the whole app, and CI runs suites side by side on two cores.
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
