// The port contract's hooks around a deploy: `check` runs in a one-off container of the new configuration
// before it first starts; a non-zero exit fails the deploy with the hook's output, the running version untouched.

import type { RunSpec } from '../drivers/podman/types.js';
import { HiyError } from '../model/errors.js';
import { LABEL_INSTANCE, LABEL_MANAGED_BY } from '../model/labels.js';
import { execHookArgv, HOOK_TIMEOUT_MS } from '../model/portContract.js';
import type { ContainerCreate, ContainerReplace } from '../plan/types.js';
import type { SecretSource } from '../store/secrets.js';
import type { ApplyDeps } from './types.js';

/** Lines of a failed hook's output shown in the error (events and status carry the error). */
const OUTPUT_LINES = 20;

/** A hook exited non-zero: its name, exit code and the last of its output. */
export class HookFailedError extends HiyError<{
  hook: string;
  resource: string;
  exitCode: number;
  output: string;
}> {
  constructor(message: string, data: { hook: string; resource: string; exitCode: number; output: string }) {
    super('PORT_HOOK_FAILED', message, { data });
    this.name = 'HookFailedError';
  }
}

/** The last lines of a hook's output, indented under the error line. */
export function outputTail(output: string): string {
  const lines = output.replace(/\s+$/, '').split('\n');
  const tail = lines.slice(-OUTPUT_LINES);
  return tail.length && tail[0] !== '' ? `\n  ${tail.join('\n  ')}` : '';
}

/**
 * The hook's output with the values of the action's secrets masked (`***`): a hook may print what it was
 * given, and its output goes into errors, so into status, events and notifications. Whole values and each line
 * of a multi-line one (a line of MAIL_USERS) are masked; values shorter than 6 characters are left alone.
 */
export async function maskSecrets(
  output: string,
  refs: string[],
  secrets: Pick<SecretSource, 'value'> | undefined,
): Promise<string> {
  if (!output || refs.length === 0 || !secrets) return output;
  const values = new Set<string>();
  for (const ref of refs) {
    const value = await secrets.value(ref).catch(() => undefined);
    if (value === undefined) continue;
    for (const v of [value, ...value.split('\n').map((line) => line.trim())])
      if (v.length >= 6) values.add(v);
  }
  let out = output;
  for (const v of [...values].sort((x, y) => y.length - x.length)) out = out.split(v).join('***');
  return out;
}

/** maskSecrets with the secrets the action's containers get. */
function masked(output: string, a: ContainerCreate | ContainerReplace, deps: ApplyDeps): Promise<string> {
  return maskSecrets(
    output,
    (a.secrets ?? []).map((s) => s.ref),
    deps.secrets,
  );
}

/** A one-off container of the action's new configuration running `command` instead of the image's own. */
export function hookRunSpec(
  a: ContainerCreate | ContainerReplace,
  hook: 'check' | 'migrate',
  command: string[],
  extraEnv: Record<string, string> = {},
): RunSpec {
  const base = a.kind === 'container.replace' ? a.finalName : a.run.name;
  const labels: Record<string, string> = {};
  for (const k of [LABEL_MANAGED_BY, LABEL_INSTANCE]) if (a.run.labels[k]) labels[k] = a.run.labels[k];
  const resource = a.resource === 'caddy' ? 'caddy' : a.resource.split('/')[1]!;
  return {
    ...a.run,
    // '_' never appears in a resource name: this cannot be another resource's container.
    name: `${base}_${hook}`,
    labels,
    env: { ...a.run.env, ...extraEnv, HIY_HOOK: hook, HIY_RESOURCE: resource },
    entrypoint: command,
    args: [],
    publish: [],
    restart: 'no',
    // On its own network and its links' ones (linked Ports by name), never on those it serves at a fixed address.
    network: a.run.network && {
      name: a.run.network.name,
      aliases: [],
      ...(a.run.network.links?.some((l) => !l.ip) && { links: a.run.network.links.filter((l) => !l.ip) }),
      ...(a.run.network.hosts && { hosts: a.run.network.hosts }),
    },
  };
}

/** Runs the check hook when the action's port declares one; throws HookFailedError on a non-zero exit. */
export async function runCheckHook(a: ContainerCreate | ContainerReplace, deps: ApplyDeps): Promise<void> {
  if (!a.check) return;
  deps.onEvent?.({
    type: 'action.progress',
    action: a,
    message: `running the check hook of ${a.check.port}`,
  });
  const spec = hookRunSpec(a, 'check', a.check.command);
  await deps.podman.removeContainer(spec.name, 0); // a leftover of a killed run
  const r = await deps.podman.runHook(spec, a.check.timeoutMs ?? HOOK_TIMEOUT_MS);
  if (r.exitCode === 0) return;
  const keeps = a.kind === 'container.replace' ? 'the running version keeps serving' : 'nothing was started';
  const output = await masked(r.output, a, deps);
  throw new HookFailedError(
    `${a.resource}: the check hook of ${a.check.port} failed (exit ${r.exitCode}); ${keeps}${outputTail(output)}`,
    { hook: 'check', resource: a.resource, exitCode: r.exitCode, output },
  );
}

/**
 * The dump hook, in the running container before its volumes are snapshotted (`env` sets the hook variables,
 * as `podman exec` is called without its own environment options). Non-zero: the upgrade stops, nothing changed.
 */
export async function runDumpHook(a: ContainerReplace, deps: ApplyDeps): Promise<void> {
  if (!a.dump) return;
  deps.onEvent?.({ type: 'action.progress', action: a, message: `running the dump hook of ${a.dump.port}` });
  const resource = a.resource === 'caddy' ? 'caddy' : a.resource.split('/')[1]!;
  const command = execHookArgv('dump', resource, a.dump.command);
  const r = await deps.podman.exec(a.previous.name, command, a.dump.timeoutMs ?? HOOK_TIMEOUT_MS);
  if (r.exitCode !== 0) {
    const output = await masked(r.output, a, deps);
    throw new HookFailedError(
      `${a.resource}: the dump hook of ${a.dump.port} failed (exit ${r.exitCode}); nothing was changed, the running version keeps serving${outputTail(output)}`,
      { hook: 'dump', resource: a.resource, exitCode: r.exitCode, output },
    );
  }
}

/** Migrates the (snapshotted) data one version at a time: `migrate FROM TO` in a one-off container of the new image. */
export async function runMigrateSteps(a: ContainerReplace, deps: ApplyDeps): Promise<void> {
  if (!a.migrate) return;
  for (let from = a.migrate.from; from < a.migrate.to; from++) {
    const to = from + 1;
    deps.onEvent?.({
      type: 'action.progress',
      action: a,
      message: `migrating the data from version ${from} to ${to}`,
    });
    const spec = hookRunSpec(a, 'migrate', [...a.migrate.command, String(from), String(to)], {
      HIY_DATA_VERSION_FROM: String(from),
      HIY_DATA_VERSION_TO: String(to),
    });
    await deps.podman.removeContainer(spec.name, 0);
    const r = await deps.podman.runHook(spec, a.migrate.timeoutMs ?? HOOK_TIMEOUT_MS);
    if (r.exitCode !== 0) {
      const output = await masked(r.output, a, deps);
      throw new HookFailedError(
        `the migrate hook of ${a.migrate.port} failed from data version ${from} to ${to} (exit ${r.exitCode})${outputTail(output)}`,
        { hook: 'migrate', resource: a.resource, exitCode: r.exitCode, output },
      );
    }
  }
}
