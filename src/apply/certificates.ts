// A renewed certificate delivered to a running container: its port's reload hook, run with `podman exec`.
import { execHookArgv, HOOK_TIMEOUT_MS } from '../model/portContract.js';
import type { CertificateReload } from '../plan/types.js';
import { HookFailedError, maskSecrets, outputTail } from './hooks.js';
import type { ApplyDeps } from './types.js';

/**
 * Runs the reload hook in the running container: the renewed files are already in the folder it mounts
 * (read-only), the hook has its service load them. Non-zero: the action fails with the hook's output, the
 * container keeps running with the certificate it had (the next run tries again).
 */
export async function reloadCertificate(a: CertificateReload, deps: ApplyDeps): Promise<string> {
  deps.onEvent?.({
    type: 'action.progress',
    action: a,
    message: `running the reload hook of ${a.reload.port} for the certificate of ${a.host}`,
  });
  const resource = a.resource === 'caddy' ? 'caddy' : a.resource.split('/')[1]!;
  const command = execHookArgv('reload', resource, a.reload.command);
  const r = await deps.podman.exec(a.container.name, command, a.reload.timeoutMs ?? HOOK_TIMEOUT_MS);
  if (r.exitCode !== 0) {
    const output = await maskSecrets(r.output, a.secrets ?? [], deps.secrets);
    throw new HookFailedError(
      `${a.resource}: the reload hook of ${a.reload.port} failed (exit ${r.exitCode}); ${a.container.name} keeps running with the certificate it had${outputTail(output)}`,
      { hook: 'reload', resource: a.resource, exitCode: r.exitCode, output },
    );
  }
  return `reloaded the certificate of ${a.host} (${a.digest.slice(0, 19)})`;
}
