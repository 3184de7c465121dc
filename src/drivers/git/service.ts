// Runs git's server side of a push or fetch (receive-pack / upload-pack) on the ssh session's own stdin/stdout.
import { spawn } from 'node:child_process';

/** `git ARGV` with the caller's stdio (the ssh channel); resolves with git's exit code (128 when killed). */
export function runGitService(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', argv, { stdio: 'inherit', env });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
