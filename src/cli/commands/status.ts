// `hiy status`: each resource with its container state, image, routes and the commit last applied.

import { LABEL_RESOURCE } from '../../model/labels.js';
import type { Settings } from '../../model/settings.js';
import { observe } from '../../observed/observe.js';
import { loadDesired, planWithPins } from '../../reconcile/engine.js';
import { PinStore } from '../../reconcile/pins.js';
import { type Condition, StatusStore } from '../../reconcile/statusStore.js';
import type { Command } from '../command.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { table } from '../table.js';

export interface ResourceStatus {
  id: string;
  inStateRepo: boolean;
  container: { name: string; state: string; image: string } | null;
  routes: string[];
  lastAppliedCommit?: string;
  lastAttemptedCommit?: string;
  lastError?: string;
  /** The plan has actions for this resource: the box does not match the state repo yet. */
  pending: boolean;
  /** Held at a release by `hiy rollback`: the state repo's version at `ignoredCommit` is ignored. */
  pinned?: { release: number; ignoredCommit: string; since: string };
  /** Ready / Reconciling / Stalled as the last run (of hiy apply or the daemon) left them. */
  conditions: Condition[];
  /** Set while the daemon holds back retries of a failing spec. */
  backoff?: { failures: number; retryAt: string; commit: string };
}

export interface StatusView {
  stateRepo: string;
  branch: string;
  head?: string;
  lastAppliedCommit?: string;
  lastAppliedAt?: string;
  lastAttemptedCommit?: string;
  lastError?: string;
  stateErrors: number;
  resources: ResourceStatus[];
  retainedVolumes: string[];
}

export async function statusCommand(
  deps: CliDeps,
  settings: Settings,
  opts: { json: boolean },
): Promise<number> {
  const engine = deps.makeEngine(settings);
  const [desired, observed, stored, pins] = await Promise.all([
    loadDesired(engine),
    observe({ podman: engine.podman, caddy: engine.caddy, instance: settings.instance }),
    new StatusStore(settings.dataDir).read(),
    new PinStore(settings.dataDir).read(),
  ]);
  const plan = desired.state ? planWithPins(engine, desired.state, observed, pins).plan : undefined;
  const ids = new Set<string>([
    ...(desired.state?.workloads.map((w) => w.id) ?? []),
    ...observed.containers.map((c) => c.labels[LABEL_RESOURCE] ?? ''),
  ]);
  ids.delete('');
  const routes = observed.proxy.state?.routes ?? [];
  const resources: ResourceStatus[] = [...ids].sort().map((id) => {
    const c = observed.containers.find((x) => x.labels[LABEL_RESOURCE] === id);
    const rec = stored.resources[id];
    const pinned = plan?.pins?.find((p) => p.resource === id && p.state === 'pinned');
    return {
      id,
      inStateRepo: desired.state?.workloads.some((w) => w.id === id) ?? false,
      container: c ? { name: c.name, state: c.state, image: c.image } : null,
      routes: routes.filter((r) => r.resource === id).map((r) => `${r.host}${r.path}`),
      lastAppliedCommit: rec?.lastAppliedCommit,
      lastAttemptedCommit: rec?.lastAttemptedCommit,
      lastError: rec?.lastError,
      pending: plan?.actions.some((a) => a.resource === id) ?? false,
      ...(pinned && {
        pinned: { release: pinned.release, ignoredCommit: pinned.ignoredCommit, since: pinned.pinnedAt },
      }),
      conditions: rec?.conditions ?? [],
      ...(rec?.backoff
        ? {
            backoff: {
              failures: rec.backoff.failures,
              retryAt: rec.backoff.retryAt,
              commit: rec.backoff.commit,
            },
          }
        : {}),
    };
  });
  const view: StatusView = {
    stateRepo: settings.stateRepo,
    branch: settings.branch,
    head: desired.state?.commit,
    lastAppliedCommit: stored.lastAppliedCommit,
    lastAppliedAt: stored.lastAppliedAt,
    lastAttemptedCommit: stored.lastAttemptedCommit,
    lastError: stored.lastError,
    stateErrors: desired.diagnostics.filter((d) => d.severity === 'error').length,
    resources,
    retainedVolumes: plan?.retained.map((r) => r.name) ?? [],
  };
  if (opts.json) {
    deps.io.out(`${JSON.stringify(view, null, 2)}\n`);
    return EXIT.ok;
  }
  const short = (c?: string) => (c ? c.slice(0, 12) : '-');
  deps.io.out(`State repo ${view.stateRepo} (${view.branch}) head ${short(view.head)}\n`);
  deps.io.out(
    `Last applied commit ${short(view.lastAppliedCommit)}${view.lastAppliedAt ? ` at ${view.lastAppliedAt}` : ''}\n`,
  );
  if (view.stateErrors) deps.io.out(`The state repo has ${view.stateErrors} error(s): run hiy validate.\n`);
  if (view.lastError) deps.io.out(`Last apply failed: ${view.lastError}\n`);
  deps.io.out('\n');
  if (resources.length === 0) deps.io.out('No resources.\n');
  else {
    const rows = [['RESOURCE', 'CONTAINER', 'STATE', 'IMAGE', 'ROUTES', 'APPLIED', 'READY', 'NOTE']];
    for (const r of resources) {
      const cond = (t: Condition['type']) => r.conditions.find((c) => c.type === t);
      const ready = cond('Ready');
      const note = [
        !r.inStateRepo ? 'removed from state repo' : '',
        r.pinned
          ? `pinned to release ${r.pinned.release} by a rollback (ignores ${short(r.pinned.ignoredCommit)}; hiy unpin ${r.id})`
          : '',
        cond('Reconciling')?.status === 'True' ? 'reconciling' : '',
        r.backoff ? `backing off (${r.backoff.failures} failure(s)), next retry ${r.backoff.retryAt}` : '',
        r.pending ? 'changes pending' : '',
        r.lastError ?? '',
      ]
        .filter(Boolean)
        .join('; ');
      rows.push([
        r.id,
        r.container?.name ?? '-',
        r.container?.state ?? 'missing',
        r.container?.image ?? '-',
        r.routes.join(',') || '-',
        short(r.lastAppliedCommit),
        ready ? `${ready.status === 'True' ? 'yes' : 'no'} (${ready.reason})` : '-',
        note,
      ]);
    }
    deps.io.out(`${table(rows)}\n`);
  }
  if (view.retainedVolumes.length) deps.io.out(`\nRetained volumes: ${view.retainedVolumes.join(', ')}\n`);
  return EXIT.ok;
}

export const command: Command = {
  name: 'status',
  summary: 'each resource: container state, image, routes, commit last applied, Ready/Stalled conditions',
  usage: 'status [--json]',
  run: (deps, settings, ctx) => statusCommand(deps, settings, { json: ctx.json }),
};
