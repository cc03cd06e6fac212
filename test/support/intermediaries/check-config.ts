/**
 * Runs a service's own config check (`apache2 -t`, `haproxy -c`, `caddy validate`) before
 * starting it: some bind their port before they reject a config, so a readiness probe alone
 * could pass and the test would then fail with a puzzling connection error.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireExecutable } from '../process.ts';

export async function checkConfig(
  cmd: string,
  args: readonly string[],
  options: {
    readonly name: string;
    readonly debianPackage: string;
    readonly env?: NodeJS.ProcessEnv;
  },
): Promise<void> {
  await requireExecutable(cmd, options);
  try {
    await promisify(execFile)(cmd, [...args], { timeout: 15_000, env: options.env ?? process.env });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${options.name} rejected its config:\n${stdout}${stderr}`, { cause: error });
  }
}
