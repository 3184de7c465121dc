// The resource page: status, releases (roll back), snapshots (take, restore), events, build logs, env.
import { isAllowed } from '../../access/grants.js';
import { snapshotsOf } from '../../data/commands.js';
import { ageText, type ResourceBackupAges } from '../../engine/backupAges.js';
import { activeBuild } from '../../engine/builds.js';
import { loadDesired, viewDesired } from '../../engine/engine.js';
import { computeStatusView } from '../../engine/statusView.js';
import type { DesiredWorkload } from '../../model/workload.js';
import { buildUnderWay } from './build.js';
import type { DashboardContext, Viewer } from './context.js';
import { ago, type Html, html, shortCommit } from './html.js';
import { conditionBadge, csrfField, page } from './layout.js';
import { previousContainerLogs, recentLogs } from './logs.js';
import { routeLink } from './overview.js';
import { resourceUsage, usageView } from './usage.js';

export async function resourcePage(
  ctx: DashboardContext,
  viewer: Viewer,
  id: string,
  flash?: { text: string; error: boolean },
): Promise<Html | undefined> {
  const { engine } = ctx;
  const [view, desired, effective, releases, building] = await Promise.all([
    computeStatusView(engine),
    loadDesired(engine),
    // What the container gets: the ports' declarations folded in (defaults, generated and link secrets).
    viewDesired(engine),
    engine.stores.releases.list(id),
    activeBuild(engine, id),
  ]);
  const status = view.resources.find((r) => r.id === id);
  const written = desired.state?.workloads.find((w) => w.id === id);
  const workload = effective.state?.workloads.find((w) => w.id === id) ?? written;
  // The id of the URL is resolved to a resource HIY knows before any of its data (logs, snapshots) is read.
  if (!status && !workload && releases.length === 0) return undefined;
  const [snapshots, events, logs, previous] = await Promise.all([
    snapshotsOf(engine, id).catch(() => []),
    engine.stores.events.read({ limit: 1000 }),
    recentLogs(ctx, id),
    previousContainerLogs(ctx, id),
  ]);
  const pictures = resourceUsage(
    await usageView(ctx, (r) => r === id),
    status,
    workload?.volumes.map((v) => v.volumeName) ?? [],
  );
  const u = viewer.user;
  const mayRollback = isAllowed(u, 'rollback', id);
  const maySnapshot = isAllowed(u, 'snapshot', id);
  const mayEdit = isAllowed(u, 'push', id) && workload !== undefined;
  const [kind, name] = id.split('/') as [string, string];
  const now = Date.now();
  const current = releases.at(-1)?.number;

  const releaseRows = [...releases].reverse().map((r) => {
    const commit = r.workload?.build?.commit;
    const actions =
      mayRollback && r.number !== current
        ? html`<form class="inline" method="post" action="/r/${id}/rollback">${csrfField(viewer)}<input type="hidden" name="to" value="${r.number}">
<button type="submit" aria-label="Roll back to release ${r.number}">Roll back</button>
<button type="submit" name="withData" value="yes" class="danger" aria-label="Roll back to release ${r.number} with its data">Roll back with data</button></form>`
        : r.number === current
          ? html`<span class="muted">current</span>`
          : '';
    return html`<tr><td>${r.number}</td><td>${ago(r.appliedAt, now)}</td><td>${r.cause}${r.rolledBackTo ? ` to ${r.rolledBackTo}` : ''}</td>
<td><code>${r.image}</code></td><td>${shortCommit(r.stateCommit)}</td>
<td>${kind === 'app' && commit ? html`<a href="/r/${id}/build/${commit}">build log</a>` : ''}</td><td>${actions}</td></tr>`;
  });

  const snapshotRows = [...snapshots].reverse().map(
    (
      s,
    ) => html`<tr><td><code>${s.id}</code></td><td>${s.volume}</td><td>${s.reason}</td><td>${s.files} ${s.files === 1 ? 'file' : 'files'}, ${Math.ceil(s.bytes / 1024)} KiB</td><td>${ago(s.createdAt, now)}</td>
<td>${
      mayRollback
        ? html`<details><summary>Restore…</summary><form method="post" action="/r/${id}/restore">${csrfField(viewer)}<input type="hidden" name="snapshot" value="${s.id}">
<p>Restoring stops ${name}, snapshots what ${s.volume} holds now, puts this snapshot's data back and starts ${name} again.</p>
<label class="check"><input type="checkbox" name="confirm" value="yes" required> I want to replace the data of ${s.volume} with snapshot ${s.id}</label>
<button type="submit" class="danger">Restore</button></form></details>`
        : ''
    }</td></tr>`,
  );

  const evs = events
    .filter((e) => e.resource === id)
    .slice(-30)
    .reverse();
  const body = html`<h1>${kind === 'app' ? 'App' : 'Port'} ${name}</h1>
${building ? buildUnderWay(building, id, viewer, now) : ''}
<div class="cards">
<div class="card"><b>State</b>${status?.container ? html`<span class="${status.container.state === 'running' ? 'ok' : 'bad'}">${status.container.state}</span> <code>${status.container.image}</code>` : html`<span class="muted">no container</span>`}</div>
<div class="card"><b>Condition</b>${conditionBadge(status?.conditions ?? [])}${status?.lastError ? html`<div class="bad">${status.lastError}</div>` : ''}</div>
<div class="card"><b>Applied commit</b>${shortCommit(status?.lastAppliedCommit)}${status?.pending ? html` <span class="badge warn">pending changes</span>` : ''}${status?.pinned ? html`<div class="warn">pinned to release ${status.pinned.release} (hiy rollback); the state repo's version is ignored until it changes</div>` : ''}</div>
<div class="card"><b>Routes</b>${status?.routes.length ? status.routes.map((r, i) => html`${i ? html`<br>` : ''}${routeLink(r, engine.settings.tls)}`) : html`<span class="muted">none</span>`}</div>
${status?.backup ? backupCard(status.backup, new Date(now)) : ''}
</div>
${mayEdit ? html`<p class="actions"><a class="button" href="/r/${id}/edit">Edit env</a>${isAllowed(u, 'administer', '*') ? html`<a class="button" href="/r/${id}/edit?yaml=1">Edit YAML</a>` : ''}</p>` : ''}
${pictures}
<h2 id="releases">Releases</h2>
${releases.length ? html`<div class="wrap"><table><thead><tr><th scope="col">#</th><th scope="col">Applied</th><th scope="col">Cause</th><th scope="col">Image</th><th scope="col">State commit</th><th scope="col">Build</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>${releaseRows}</tbody></table></div>` : html`<p class="muted">No releases yet.</p>`}
<h2 id="snapshots">Snapshots</h2>
${maySnapshot && workload?.volumes.length ? html`<form method="post" action="/r/${id}/snapshot">${csrfField(viewer)}<button type="submit">Snapshot now</button></form>` : ''}
${snapshots.length ? html`<div class="wrap"><table><thead><tr><th scope="col">Snapshot</th><th scope="col">Volume</th><th scope="col">Reason</th><th scope="col">Size</th><th scope="col">Taken</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>${snapshotRows}</tbody></table></div>` : html`<p class="muted">No snapshots.</p>`}
<h2 id="env">Environment</h2>
${workload ? envTable(workload, written) : html`<p class="muted">Not in the state repo.</p>`}
<h2 id="logs-heading">Logs</h2>
<pre id="logs" data-logs="/r/${id}/logs" aria-labelledby="logs-heading" tabindex="0">${logs}</pre>
${previous ? html`<details><summary>Output of the previous container (${previous.reason} ${ago(previous.removedAt, now)})</summary><pre tabindex="0">${previous.text}</pre></details>` : ''}
<h2 id="events">Events</h2>
<ul class="events" data-live-events>${evs.map((e) => html`<li>${ago(e.at, now)} <b>${e.type}</b> ${e.message}</li>`)}</ul>
${evs.length ? '' : html`<p class="muted">No events yet.</p>`}`;
  return page({
    title: `${name}`,
    section: 'overview',
    viewer,
    body,
    flash: flash?.text,
    flashIsError: flash?.error,
    live: { resource: id },
  });
}

/** Where a variable of the effective env comes from, for the env table. */
function envSource(name: string, w: DesiredWorkload, written: DesiredWorkload | undefined): string {
  const secret = w.secretEnv?.[name];
  if (secret?.startsWith('hiy.generated.')) return 'generated by HIY (port declaration)';
  if (secret?.startsWith('hiy.link.')) return 'from a link';
  if (secret) return 'secret store';
  if (written?.env[name] === w.env[name]) return 'state repo';
  return w.links && Object.keys(w.links).length
    ? 'port declaration default or a link'
    : 'port declaration default';
}

/**
 * What the container gets: env with its values (they are in the state repo or the image's declaration already);
 * secrets (set, generated or linked) by name only, never a value; each with where it comes from.
 */
function envTable(w: DesiredWorkload, written: DesiredWorkload | undefined): Html {
  const env = Object.entries(w.env).sort(([a], [b]) => a.localeCompare(b));
  const secret = Object.entries(w.secretEnv ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (env.length === 0 && secret.length === 0) return html`<p class="muted">No variables.</p>`;
  return html`<div class="wrap"><table><thead><tr><th scope="col">Variable</th><th scope="col">Value</th><th scope="col">From</th></tr></thead><tbody>
${env.map(([k, v]) => html`<tr><td><code>${k}</code></td><td><code>${v}</code></td><td class="muted">${envSource(k, w, written)}</td></tr>`)}
${secret.map(([k, s]) => html`<tr><td><code>${k}</code></td><td class="muted">secret <code>${s}</code> (value never shown)</td><td class="muted">${envSource(k, w, written)}</td></tr>`)}
</tbody></table></div>`;
}

/** The age of the last offsite backup and of the last passing restore drill; a warning when stale. */
function backupCard(b: ResourceBackupAges, now: Date): Html {
  return html`<div class="card"><b>Offsite backup</b>last backup <span class="${b.stale ? 'bad' : 'ok'}">${ageText(b.lastBackupAt, now)}</span>, last passing drill <span class="${b.drillStale ? 'warn' : 'ok'}">${ageText(b.lastDrillPassedAt, now)}</span> (${b.backups.join(', ')})${b.stale ? html`<div class="bad">${b.stale.message}</div>` : ''}${b.drillStale ? html`<div class="warn">${b.drillStale.message}</div>` : ''}</div>`;
}
