// Runs the HIY CLI as a child process (node + tsx), capturing stdout and stderr (pino logs included).
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const BIN = fileURLToPath(new URL('./hiy-cli.ts', import.meta.url));

export async function hiyProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<{ code: number; out: string; err: string }> {
  const r = await execa(process.execPath, ['--import', 'tsx', BIN, ...args], {
    env,
    reject: false,
    ...(input !== undefined ? { input } : { stdin: 'ignore' as const }),
  });
  return { code: r.exitCode ?? -1, out: String(r.stdout), err: String(r.stderr) };
}
