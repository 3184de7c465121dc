// `hiy logs`: a resource's container output, and with follow, across replacements (a deploy does not end it).
import type { LogsOptions, OutputSink } from '../drivers/podman/types.js';
import { PodmanError } from '../drivers/podman/types.js';
import type { Engine } from './engine.js';
import { previousLogs } from './previousLogs.js';
import { containerNameOf, findWorkloadContainer, missingContainer } from './resourceTarget.js';

export interface ResourceLogsOptions extends Omit<LogsOptions, 'signal'> {
  signal?: AbortSignal;
  /** How often to look for the replacement container once a followed one ended (default 250 ms). */
  pollMs?: number;
  /**
   * The output of the container before the last replacement instead, as kept when it was removed (tail and
   * timestamps apply; follow and since do not).
   */
  previous?: boolean;
}

/**
 * Writes the resource's container output to `output`. Without follow, for a bare name, it is one `podman logs`
 * call on the container's known name (no listing first: as fast as podman alone); a name with its kind is
 * checked against the container's resource label first. With follow, when the container ends
 * (replaced by a deploy, restarted), the stream goes on with its successor's output from its start, until the
 * signal aborts. With `previous`, the kept output of the container before the last replacement (no podman call).
 */
export async function resourceLogs(
  engine: Engine,
  name: string,
  opts: ResourceLogsOptions,
  output: OutputSink,
): Promise<void> {
  if (opts.previous) {
    await previousLogs(engine, name, opts, output);
    return;
  }
  const container = containerNameOf(engine, name);
  try {
    // With a kind (`app/db`), the container named after it must be that resource's (never the Port db's): one
    // `podman ps` first. A bare name is whichever of the App or Port the state has: its known name at once.
    const first = opts.follow || name.includes('/') ? await findWorkloadContainer(engine, name) : undefined;
    if ((opts.follow || name.includes('/')) && !first) throw await missingContainer(engine, name);
    await engine.podman.logs(container, opts, output);
    if (!opts.follow) return;
    let seen = first!.id;
    while (!opts.signal?.aborted) {
      const ended = new Date().toISOString();
      const next = await waitForSuccessor(engine, name, seen, opts);
      if (!next) return;
      // A successor is streamed from its start; the same container (its stream broke off) from where it ended.
      const since = next === seen ? ended : undefined;
      seen = next;
      await engine.podman.logs(container, { ...opts, tail: undefined, since }, output);
    }
  } catch (err) {
    if (
      err instanceof PodmanError &&
      /no such container|no container with/i.test(err.data.stderr ?? err.message)
    ) {
      throw await missingContainer(engine, name);
    }
    throw err;
  }
}

/** Polls until a running container of the resource other than `seen` exists; its id, or undefined when aborted. */
async function waitForSuccessor(
  engine: Engine,
  name: string,
  seen: string,
  opts: ResourceLogsOptions,
): Promise<string | undefined> {
  while (!opts.signal?.aborted) {
    const c = await findWorkloadContainer(engine, name);
    if (c && c.state === 'running' && c.id !== seen) return c.id;
    // The same container running again (podman logs -f ended for another reason): follow it on.
    if (c && c.state === 'running' && c.id === seen) return seen;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
  return undefined;
}
