// The resource page: status, how to reach it, releases (roll back), restart, unpin, snapshots (take, restore),
// events, build logs, env.
import { isAllowed } from '../../access/grants.js';
import { snapshotsOf } from '../../data/commands.js';
import { ageText, type ResourceBackupAges } from '../../engine/backupAges.js';
import { activeBuild } from '../../engine/builds.js';
import { loadDesired, viewDesired } from '../../engine/engine.js';
import { computeStatusView } from '../../engine/statusView.js';
import { buildUnderWay } from './build.js';
import type { DashboardContext, Viewer } from './context.js';
import { envRows, renderEnvTable } from './envTable.js';
import { ago, type Html, html, shortCommit } from './html.js';
import { conditionBadge, csrfField, page } from './layout.js';
import { emptyLogNote, previousContainerLogs, recentLogs } from './logs.js';
import { reachEntries, renderReach } from './reach.js';
import { resourceUsage, usageView } from './usage.js';

export async function resourcePage(
  ctx: DashboardContext,
  viewer: Viewer,
  id: string,
  flash?: { text: string; error: boolean },
  /** The box's name as the viewer reached it (reach.ts's boxHostOf), for the published ports' commands. */
  boxHost = 'BOX',
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
  const mayRestart = isAllowed(u, 'restart', id) && !!status?.container;
  const mayUnpin = isAllowed(u, 'unpin', id);
  const [kind, name] = id.split('/') as [string, string];
  const now = Date.now();
  const current = releases.at(-1)?.number;
  const lastBuild = releases.at(-1)?.workload?.build?.commit;
  const declaration = effective.declarations?.get(id);

  const releaseRows = [...releases].reverse().map((r) => {
    const commit = r.workload?.build?.commit;
    const actions =
      mayRollback && r.number !== current
        ? html`<form class="inline" method="get" action="/r/${id}/rollback"><input type="hidden" name="to" value="${r.number}">
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
<div class="card"><b>Applied commit</b>${shortCommit(status?.lastAppliedCommit)}${status?.pending ? html` <span class="badge warn">pending changes</span>` : ''}${status?.pinned ? html`<div class="warn">pinned to release ${status.pinned.release} (hiy rollback); the state repo's version is ignored until it changes</div>${mayUnpin ? html`<form class="inline" method="post" action="/r/${id}/unpin">${csrfField(viewer)}<button type="submit" class="secondary" aria-label="Unpin ${name}: apply the state repo's version">Unpin</button></form>` : ''}` : ''}</div>
${status?.backup ? backupCard(status.backup, new Date(now)) : ''}
</div>
${mayEdit || mayRestart ? html`<p class="actions">${mayRestart ? html`<a class="button" href="/r/${id}/restart">Restart</a>` : ''}${mayEdit ? html`<a class="button" href="/r/${id}/edit">Edit env</a>` : ''}${mayEdit && isAllowed(u, 'administer', '*') ? html`<a class="button" href="/r/${id}/edit?yaml=1">Edit YAML</a>` : ''}</p>` : ''}
<h2 id="reach">How to reach it</h2>
${renderReach(reachEntries({ served: status?.routes ?? [], ...(workload && { workload }), ...(declaration && { declaration }), settings: engine.settings, boxHost }))}
${pictures}
<h2 id="releases">Releases</h2>
${releases.length ? html`<div class="wrap"><table><thead><tr><th scope="col">#</th><th scope="col">Applied</th><th scope="col">Cause</th><th scope="col">Image</th><th scope="col">State commit</th><th scope="col">Build</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>${releaseRows}</tbody></table></div>` : html`<p class="muted">No releases yet.</p>`}
<h2 id="snapshots">Snapshots</h2>
${maySnapshot && workload?.volumes.length ? html`<form method="post" action="/r/${id}/snapshot">${csrfField(viewer)}<button type="submit">Snapshot now</button></form>` : ''}
${snapshots.length ? html`<div class="wrap"><table><thead><tr><th scope="col">Snapshot</th><th scope="col">Volume</th><th scope="col">Reason</th><th scope="col">Size</th><th scope="col">Taken</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>${snapshotRows}</tbody></table></div>` : html`<p class="muted">No snapshots.</p>`}
<h2 id="env">Environment</h2>
${workload ? renderEnvTable(envRows({ id, effective: workload, ...(written && { written }), declarations: effective.declarations ?? new Map() })) : html`<p class="muted">Not in the state repo.</p>`}
<h2 id="logs-heading">Logs</h2>
${logs.text.trim() ? '' : emptyLogNote({ id, ...(logs.error && { error: logs.error }), ...(building && { building }), ...(lastBuild && { lastBuild }) })}
<pre id="logs" data-logs="/r/${id}/logs" aria-labelledby="logs-heading" tabindex="0">${logs.text}</pre>
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

/** The age of the last offsite backup and of the last passing restore drill; a warning when stale. */
function backupCard(b: ResourceBackupAges, now: Date): Html {
  return html`<div class="card"><b>Offsite backup</b>last backup <span class="${b.stale ? 'bad' : 'ok'}">${ageText(b.lastBackupAt, now)}</span>, last passing drill <span class="${b.drillStale ? 'warn' : 'ok'}">${ageText(b.lastDrillPassedAt, now)}</span> (${b.backups.join(', ')})${b.stale ? html`<div class="bad">${b.stale.message}</div>` : ''}${b.drillStale ? html`<div class="warn">${b.drillStale.message}</div>` : ''}</div>`;
}
