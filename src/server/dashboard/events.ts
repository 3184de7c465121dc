// The events page: the event history, newest first, filterable by resource, with live additions.
import { isAllowed } from '../../access/grants.js';
import { eventVisibleTo } from '../visibility.js';
import type { DashboardContext, Viewer } from './context.js';
import { ago, type Html, html } from './html.js';
import { page } from './layout.js';

export async function eventsPage(
  ctx: DashboardContext,
  viewer: Viewer,
  resource: string | undefined,
): Promise<Html> {
  const all = await ctx.engine.stores.events.read({ limit: 1000 });
  const seesAll = isAllowed(viewer.user, 'read', '*');
  const visible = all.flatMap(
    (e) => eventVisibleTo(e, (id) => isAllowed(viewer.user, 'read', id), seesAll) ?? [],
  );
  const resources = [...new Set(visible.map((e) => e.resource).filter((r): r is string => !!r))].sort();
  const shown = visible
    .filter((e) => !resource || e.resource === resource)
    .slice(-200)
    .reverse();
  const now = Date.now();
  const body = html`<h1>Events</h1>
<form method="get" action="/events" class="actions"><label for="resource">Resource</label>
<select id="resource" name="resource"><option value="">all</option>${resources.map(
    (r) => html`<option value="${r}"${r === resource ? html` selected` : ''}>${r}</option>`,
  )}</select><button type="submit" class="secondary">Filter</button></form>
<div class="wrap"><table><thead><tr><th scope="col">When</th><th scope="col">Resource</th><th scope="col">Type</th><th scope="col">Message</th></tr></thead>
<tbody>${shown.map((e) => html`<tr><td>${ago(e.at, now)}</td><td>${e.resource ? html`<a href="/r/${e.resource}">${e.resource}</a>` : ''}</td><td>${e.type}</td><td>${e.message}</td></tr>`)}</tbody></table></div>
${shown.length ? '' : html`<p class="muted">No events.</p>`}`;
  return page({ title: 'Events', section: 'events', viewer, body, live: resource ? { resource } : {} });
}
