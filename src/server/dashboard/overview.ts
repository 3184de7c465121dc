// The overview page: every resource the viewer may see, its state and condition, image, commit, routes, last
// deploy; the state repo's head and last applied commit; the daemon's health.
import { isAllowed } from '../../access/grants.js';
import { computeStatusView, type StatusView } from '../../engine/statusView.js';
import type { TlsMode } from '../../model/settings.js';
import { statusVisibleTo } from '../visibility.js';
import type { DashboardContext, Viewer } from './context.js';
import { ago, type Html, html, shortCommit } from './html.js';
import { conditionBadge, page } from './layout.js';
import { overviewUsage, usageView } from './usage.js';

/** What the overview shows besides the status view: each resource's last deploy time. */
export interface OverviewData {
  view: StatusView;
  lastDeploy: Record<string, string | undefined>;
  tls: TlsMode;
  now: number;
}

export async function overviewData(ctx: DashboardContext, viewer: Viewer): Promise<OverviewData> {
  const [full, stored] = await Promise.all([computeStatusView(ctx.engine), ctx.engine.stores.status.read()]);
  const view = isAllowed(viewer.user, 'read', '*')
    ? full
    : statusVisibleTo(full, (id) => isAllowed(viewer.user, 'read', id));
  const lastDeploy = Object.fromEntries(
    view.resources.map((r) => [r.id, stored.resources[r.id]?.lastAppliedAt]),
  );
  return { view, lastDeploy, tls: ctx.engine.settings.tls, now: Date.now() };
}

/** A route `host/path` as a link, with the scheme HIY serves it on. */
export function routeLink(route: string, tls: TlsMode): Html {
  return html`<a href="${tls === 'off' ? 'http' : 'https'}://${route}">${route}</a>`;
}

/** The overview's main content. Pure (the benchmark renders 200 resources with it). */
export function renderOverview(d: OverviewData): Html {
  const { view, now } = d;
  const health = view.lastError
    ? html`<span class="bad">last run failed</span><div class="muted">${view.lastError}</div>`
    : view.stateErrors > 0
      ? html`<span class="bad">the state repo has ${view.stateErrors} error(s); shown as last applied</span><div class="muted">${view.stateError ?? ''}</div>`
      : html`<span class="ok">healthy</span>`;
  const inSync = view.head && view.head === view.lastAppliedCommit;
  const rows = view.resources.map((r) => {
    const [kind, name] = r.id.split('/') as [string, string];
    const state = r.container
      ? html`<td class="${r.container.state === 'running' ? 'ok' : 'bad'}">${r.container.state}`
      : html`<td class="muted">no container`;
    // One line per row, no titles or spans that are not needed: 200 resources stay under 100 KB.
    return html`<tr><td><a href="/r/${r.id}">${name}</a>${r.inStateRepo ? '' : html` <span class="badge warn">not in state repo</span>`}</td><td>${kind === 'app' ? 'App' : 'Port'}</td>${state}${r.pending ? html` <span class="badge warn">pending</span>` : ''}${r.pinned ? html` <span class="badge warn">pinned to release ${r.pinned.release}</span>` : ''}${(r.certificateProblems ?? []).map((p) => html` <span class="badge warn">${p}</span>`)}${r.backup?.stale ? html` <span class="badge warn" title="${r.backup.stale.message}">backup stale</span>` : ''}</td><td>${conditionBadge(r.conditions)}</td><td><code>${r.container?.image ?? ''}</code></td><td>${shortCommit(r.lastAppliedCommit, false)}</td><td>${r.routes.map((route, i) => html`${i ? html`<br>` : ''}${routeLink(route, d.tls)}`)}</td><td>${ago(d.lastDeploy[r.id], now)}</td></tr>
`;
  });
  return html`<h1>Overview</h1>
<div class="cards">
<div class="card"><b>State repo head</b>${shortCommit(view.head)} <span class="muted">${view.branch}</span></div>
<div class="card"><b>Last applied</b>${shortCommit(view.lastAppliedCommit)} ${ago(view.lastAppliedAt, now)}
${view.head ? (inSync ? html`<div class="ok">in sync with the head</div>` : html`<div class="warn">the head is not applied yet</div>`) : ''}</div>
<div class="card"><b>Daemon</b>${health}</div>
</div>
<h2>Resources</h2>
${
  view.resources.length === 0
    ? html`<p class="muted">No resources you may view.</p>`
    : html`<div class="wrap"><table class="resources"><caption class="skip">Resources</caption><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Condition</th><th scope="col">Image</th><th scope="col">Commit</th><th scope="col">Routes</th><th scope="col">Last deploy</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}
${view.retainedVolumes.length ? html`<h2>Retained volumes</h2><p>${view.retainedVolumes.map((v, i) => html`${i ? ', ' : ''}<code>${v}</code>`)} <span class="muted">(kept after their resource left the state repo)</span></p>` : ''}`;
}

export async function overviewPage(ctx: DashboardContext, viewer: Viewer, flash?: string): Promise<Html> {
  const mayRead = (id: string) => isAllowed(viewer.user, 'read', id);
  const [data, usage] = await Promise.all([overviewData(ctx, viewer), usageView(ctx, mayRead)]);
  const pictures = overviewUsage(usage, data.view.resources, isAllowed(viewer.user, 'read', '*'));
  const body = html`${renderOverview(data)}${pictures}`;
  return page({ title: 'Overview', section: 'overview', viewer, body, flash, live: {} });
}
