// The people page (admins on "*"): users and their grants from the state repo, API tokens, dashboard sessions.

import { loadDesired } from '../../engine/engine.js';
import type { DashboardContext, Viewer } from './context.js';
import { ago, type Html, html } from './html.js';
import { csrfField, page } from './layout.js';
import { sessionsTable } from './me.js';

export async function peoplePage(
  ctx: DashboardContext,
  viewer: Viewer,
  flash?: { text: string; error: boolean },
): Promise<Html> {
  const [desired, tokens, sessions, passkeys] = await Promise.all([
    loadDesired(ctx.engine),
    ctx.engine.stores.tokens.list(),
    ctx.sessions.list(),
    ctx.passkeys.list(),
  ]);
  const users = desired.state?.users ?? [];
  const now = Date.now();
  const body = html`<h1>People</h1>
<p class="muted">Users and grants come from the state repo: change them there (a commit), not here.</p>
<h2>Users</h2>
<div class="wrap"><table><thead><tr><th scope="col">User</th><th scope="col">Grants</th><th scope="col">SSH keys</th><th scope="col">Passkeys</th><th scope="col">Sessions</th></tr></thead><tbody>
${users.map(
  (
    u,
  ) => html`<tr><td>${u.metadata.name}</td><td>${u.spec.grants.map((g, i) => html`${i ? ', ' : ''}${g.role} on ${g.app === '*' ? '*' : g.app}`)}</td>
<td>${u.spec.sshKeys.length}</td><td>${passkeys.filter((p) => p.user === u.metadata.name).length}</td><td>${sessions.filter((s) => s.user === u.metadata.name).length}</td></tr>`,
)}</tbody></table></div>
${desired.state ? '' : html`<p class="alert" role="alert">The state repo has errors; the users of its last valid commit still sign in.</p>`}
<h2>API tokens</h2>
${
  tokens.length
    ? html`<div class="wrap"><table><thead><tr><th scope="col">Token</th><th scope="col">User</th><th scope="col">Created</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>
${tokens.map(
  (t) => html`<tr><td><code>${t.id}</code></td><td>${t.user}</td><td>${ago(t.createdAt, now)}</td>
<td><form method="post" action="/people/tokens/revoke">${csrfField(viewer)}<input type="hidden" name="id" value="${t.id}"><button type="submit" class="secondary" aria-label="Revoke token ${t.id}">Revoke</button></form></td></tr>`,
)}
</tbody></table></div>`
    : html`<p class="muted">No API tokens (<code>hiy token create USER</code> makes one).</p>`
}
<h2>Sessions</h2>
${sessionsTable(viewer, sessions, '/people/sessions/revoke', true)}`;
  return page({
    title: 'People',
    section: 'people',
    viewer,
    body,
    flash: flash?.text,
    flashIsError: flash?.error,
  });
}
