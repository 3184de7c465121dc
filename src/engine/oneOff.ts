// `hiy exec` and `hiy run`: a command in the running container, or in a one-off container of the resource.
import { randomBytes } from 'node:crypto';
import type { AttachOptions } from '../drivers/podman/types.js';
import type { RunSpec } from '../model/containers.js';
import {
  LABEL_INSTANCE,
  LABEL_ONE_OFF,
  LABEL_ONE_OFF_OWNER,
  LABEL_ONE_OFF_PID,
  LABEL_RESOURCE,
} from '../model/labels.js';
import { EXEC_USER } from '../model/names.js';
import { PORT_LABEL, PortDeclaration } from '../model/portContract.js';
import { LABEL_SECRETS } from '../plan/plan.js';
import { processGone, selfIdentity } from '../store/lockFile.js';
import type { Engine } from './engine.js';
import { currentRelease, OperationError, runningContainer } from './resourceTarget.js';

/**
 * Runs a command in the resource's running container with its environment, secretEnv included; the exit code.
 * As `user` when given, else as the user its port's declaration names for exec (`exec: { user: postgres }`),
 * else as the image's user.
 */
export async function execInResource(
  engine: Engine,
  name: string,
  command: string[],
  attach: AttachOptions,
  opts: { user?: string } = {},
): Promise<number> {
  if (opts.user !== undefined && !EXEC_USER.test(opts.user))
    throw new OperationError(
      'EXEC_USER_INVALID',
      `--user ${JSON.stringify(opts.user).slice(0, 40)} is not a user name or a uid[:gid]`,
      { name },
    );
  const c = await runningContainer(engine, name);
  // A container with secretEnv has the shim mounted; exec'd processes go through it to see the secret values.
  const secretShim = Boolean(c.labels[LABEL_SECRETS]);
  const user = opts.user ?? (await declaredExecUser(engine, c.image));
  return engine.podman.execAttached(c.name, command, { ...attach, secretShim, ...(user && { user }) });
}

/** The exec user a port image's declaration names (`exec.user`), if it declares one. */
async function declaredExecUser(engine: Engine, image: string): Promise<string | undefined> {
  const info = await engine.podman.inspectImage(image).catch(() => undefined);
  const label = info?.labels?.[PORT_LABEL];
  if (!label) return undefined;
  try {
    const parsed = PortDeclaration.safeParse(JSON.parse(label));
    return parsed.success ? parsed.data.exec?.user : undefined;
  } catch {
    return undefined;
  }
}

export interface OneOffRequest {
  /** The resource (`blog`, `app/blog`). */
  name: string;
  /** The command; the image's own when empty. */
  command: string[];
  attach: AttachOptions;
  /** What the one-off is, as labelled: `run` (default) or `job:NAME`. */
  purpose?: string;
}

/** The one-off container spec: the resource's current image, env, secrets and volumes; no ports, no restart. */
export function oneOffSpec(
  engine: Engine,
  id: string,
  run: RunSpec,
  command: string[],
  purpose: string,
): RunSpec {
  const self = selfIdentity();
  const suffix = `${purpose.replace(/[^a-z0-9-]/g, '-')}-${randomBytes(3).toString('hex')}`;
  return {
    ...run,
    name: `${run.name}-${suffix}`,
    labels: {
      [LABEL_INSTANCE]: engine.settings.instance,
      [LABEL_RESOURCE]: id,
      [LABEL_ONE_OFF]: purpose,
      [LABEL_ONE_OFF_PID]: String(process.pid),
      [LABEL_ONE_OFF_OWNER]: `${self.start ?? ''}@${self.boot ?? ''}`,
    },
    ...(command.length > 0 ? { entrypoint: command, args: [] } : {}),
    publish: [],
    restart: 'no',
  };
}

/**
 * Runs a one-off container of the resource (its current release: image, env, secrets, volumes) attached, and
 * removes it; resolves to its exit code. Leftovers of earlier one-offs whose hiy process died are removed first.
 * Refused while the resource is being upgraded.
 */
export async function runOneOff(engine: Engine, req: OneOffRequest): Promise<number> {
  await removeLeftoverOneOffs(engine);
  const { id, release } = await currentRelease(engine, req.name);
  const spec = oneOffSpec(engine, id, release.run, req.command, req.purpose ?? 'run');
  return engine.podman.runOneOff(spec, req.attach);
}

/** Removes one-off containers of this instance whose hiy process is gone (a crash, a kill -9). Returns their names. */
export async function removeLeftoverOneOffs(engine: Engine): Promise<string[]> {
  const all = await engine.podman.listContainers({ [LABEL_INSTANCE]: engine.settings.instance });
  const dead = all.filter((c) => {
    if (!c.labels[LABEL_ONE_OFF]) return false;
    const pid = Number(c.labels[LABEL_ONE_OFF_PID]);
    const [start, boot] = (c.labels[LABEL_ONE_OFF_OWNER] ?? '').split('@');
    const owner = { pid, ...(start && { start }), ...(boot && { boot }) };
    const self = selfIdentity();
    const mine =
      pid === process.pid && (!start || start === self.start) && (!boot || !self.boot || boot === self.boot);
    return !mine && (!(pid > 0) || processGone(owner));
  });
  for (const c of dead) await engine.podman.removeContainer(c.name, 0);
  if (dead.length > 0)
    engine.logger.warn({ containers: dead.map((c) => c.name) }, 'removed leftover one-off containers');
  return dead.map((c) => c.name);
}
