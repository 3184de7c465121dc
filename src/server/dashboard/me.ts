// The signed-in user's own page: grants, sessions (revoke), passkeys (register, remove).
import type { SessionRecord } from '../../store/sessions.js';
import type { DashboardContext, Viewer } from './context.js';
import { ago, type Html, html } from './html.js';
import { csrfField, page } from './layout.js';

/** A table of sessions with a Revoke button each, posting to `action`. */
export function sessionsTable(
  viewer: Viewer,
  sessions: SessionRecord[],
  action: string,
  showUser: boolean,
): Html {
  if (sessions.length === 0) return html`<p class="muted">No sessions.</p>`;
  const now = Date.now();
  return html`<div class="wrap"><table><thead><tr>${showUser ? html`<th scope="col">User</th>` : ''}<th scope="col">Session</th><th scope="col">Opened</th><th scope="col">Last used</th><th scope="col">From</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>
${sessions.map(
  (
    s,
  ) => html`<tr>${showUser ? html`<td>${s.user}</td>` : ''}<td><code>${s.id}</code>${s.id === viewer.sessionId ? html` <span class="badge ok">this one</span>` : ''}<div class="muted">${s.method}</div></td>
<td>${ago(s.createdAt, now)}</td><td>${ago(s.lastSeenAt, now)}</td><td>${s.address ?? ''}<div class="muted">${(s.userAgent ?? '').slice(0, 60)}</div></td>
<td><form method="post" action="${action}">${csrfField(viewer)}<input type="hidden" name="id" value="${s.id}"><button type="submit" class="secondary" aria-label="Revoke session ${s.id}">Revoke</button></form></td></tr>`,
)}</tbody></table></div>`;
}

export async function mePage(
  ctx: DashboardContext,
  viewer: Viewer,
  flash?: { text: string; error: boolean },
): Promise<Html> {
  const name = viewer.user.metadata.name;
  const [sessions, passkeys] = await Promise.all([ctx.sessions.list(name), ctx.passkeys.list(name)]);
  const now = Date.now();
  const body = html`<h1>${name}</h1>
<h2>Grants</h2>
<ul>${viewer.user.spec.grants.map((g) => html`<li><b>${g.role}</b> on ${g.app === '*' ? 'everything' : html`App <code>${g.app}</code>`}</li>`)}</ul>
${viewer.user.spec.grants.length ? '' : html`<p class="muted">No grants.</p>`}
<h2>Passkeys</h2>
${
  passkeys.length
    ? html`<div class="wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>
${passkeys.map(
  (p) => html`<tr><td>${p.label}</td><td>${ago(p.createdAt, now)}</td><td>${ago(p.lastUsedAt, now)}</td>
<td><form method="post" action="/me/passkeys/remove">${csrfField(viewer)}<input type="hidden" name="id" value="${p.id}"><button type="submit" class="secondary" aria-label="Remove passkey ${p.label}">Remove</button></form></td></tr>`,
)}
</tbody></table></div>`
    : html`<p class="muted">No passkeys yet. With one, you can sign in without asking for a link.</p>`
}
<label for="passkey-label">Name of the new passkey</label><input type="text" id="passkey-label" name="label" placeholder="e.g. laptop" maxlength="60">
<p><button type="button" id="passkey-register" data-passkey>Register a passkey</button></p>
<div id="passkey-error" class="alert" role="alert" hidden></div>
<h2>Sessions</h2>
${sessionsTable(viewer, sessions, '/me/sessions/revoke', false)}`;
  return page({
    title: name,
    section: 'me',
    viewer,
    body,
    flash: flash?.text,
    flashIsError: flash?.error,
    passkeys: true,
  });
}
