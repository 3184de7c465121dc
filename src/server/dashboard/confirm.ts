// The confirmation step of the resource page's heavy actions (Roll back, Roll back with data, Restart): a GET page
// that says what will happen and holds the form that does it (CSRF token, confirm=yes); the action refuses without.
import { isAllowed, type Operation } from '../../access/grants.js';
import { findWorkloadContainer } from '../../engine/resourceTarget.js';
import type { Release } from '../../store/releases.js';
import { HttpError } from '../http.js';
import type { DashboardContext, Viewer } from './context.js';
import { ago, type Html, html, shortCommit } from './html.js';
import { csrfField, page } from './layout.js';

/** What a confirmation page shows and posts: facts in words, the fields of the form, the button. */
export interface Confirmation {
  title: string;
  facts: Html[];
  action: string;
  fields: Record<string, string>;
  button: string;
  danger?: boolean;
}

/** The one confirmation page every heavy action shares. */
export function confirmationPage(viewer: Viewer, id: string, c: Confirmation): Html {
  const hidden = Object.entries(c.fields).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  );
  const body = html`<h1>${c.title}</h1>
<ul class="facts">${c.facts.map((f) => html`<li>${f}</li>`)}</ul>
<form method="post" action="${c.action}">${csrfField(viewer)}${hidden}<input type="hidden" name="confirm" value="yes">
<p class="actions"><button type="submit"${c.danger ? html` class="danger"` : ''}>${c.button}</button> <a href="/r/${id}">Cancel</a></p></form>`;
  return page({ title: c.title, section: 'overview', viewer, body });
}

/** Refused before anything is read: the same grant the action itself checks (grants.ts). */
function requireGrant(viewer: Viewer, op: Operation, id: string): void {
  if (!isAllowed(viewer.user, op, id))
    throw new HttpError(403, 'FORBIDDEN', `${viewer.user.metadata.name} may not do ${op} on ${id}`);
}

function releaseText(r: Release, now: number): Html {
  return html`release ${r.number} (<code>${r.image}</code>, state commit ${shortCommit(r.stateCommit)}, applied ${ago(r.appliedAt, now)})`;
}

/** GET /r/ID/rollback?to=N[&withData=yes]: what rolling back to release N does. */
export async function rollbackConfirmation(
  ctx: DashboardContext,
  viewer: Viewer,
  id: string,
  query: URLSearchParams,
): Promise<Html> {
  requireGrant(viewer, 'rollback', id);
  const to = Number(query.get('to'));
  const withData = query.get('withData') === 'yes';
  const releases = await ctx.engine.stores.releases.list(id);
  const target = releases.find((r) => r.number === to);
  const current = releases.at(-1);
  if (!target || !current) throw new HttpError(404, 'NOT_FOUND', `${id} has no release ${query.get('to')}`);
  const now = Date.now();
  const name = id.slice(id.indexOf('/') + 1);
  const facts = [
    html`Now: ${releaseText(current, now)}.`,
    html`Back to: ${releaseText(target, now)}, its image and configuration.`,
    withData
      ? html`<b>With its data:</b> the current data of ${name}'s volumes is snapshotted first (so this can be undone), then the data of release ${target.number} is put back; ${name} stops meanwhile.`
      : html`Its volumes keep the data they hold now.`,
    html`${name} stays pinned to release ${target.number} until the state repo changes it or someone unpins it.`,
  ];
  return confirmationPage(viewer, id, {
    title: `Roll back ${id} to release ${target.number}${withData ? ' with its data' : ''}?`,
    facts,
    action: `/r/${id}/rollback`,
    fields: { to: String(target.number), ...(withData && { withData: 'yes' }) },
    button: withData ? 'Roll back with data' : 'Roll back',
    danger: withData,
  });
}

/** GET /r/ID/restart: what restarting does (a new container of the same spec, health-gated). */
export async function restartConfirmation(ctx: DashboardContext, viewer: Viewer, id: string): Promise<Html> {
  requireGrant(viewer, 'restart', id);
  const container = await findWorkloadContainer(ctx.engine, id);
  if (!container) throw new HttpError(409, 'NO_CONTAINER', `${id} has no container to restart`);
  const name = id.slice(id.indexOf('/') + 1);
  const facts = [
    html`Now: container <code>${container.id.slice(0, 12)}</code> (${container.state}, <code>${container.image}</code>).`,
    html`A new container of the same spec replaces it and must pass its health check; if it does not, the current one runs on.`,
    html`Where ${name} has volumes or host ports, the current container stops first (a short outage) and the volumes are snapshotted before.`,
    html`Recorded as a release (cause restart) and a <code>resource.restarted</code> event; refused if ${name} has changes not applied yet.`,
  ];
  return confirmationPage(viewer, id, {
    title: `Restart ${id}?`,
    facts,
    action: `/r/${id}/restart`,
    fields: {},
    button: 'Restart',
  });
}
