// The shell of every dashboard page: skip link, navigation for what the viewer may see, flash message, main.

import { isAllowed, roleOn } from '../../access/grants.js';
import { assetUrl } from './assets.js';
import type { Viewer } from './context.js';
import { FAVICON_PATH } from './favicon.js';
import { type Html, html } from './html.js';

export type Section = 'overview' | 'plan' | 'events' | 'people' | 'me' | 'login' | 'error';

export interface PageOptions {
  title: string;
  section: Section;
  viewer?: Viewer;
  body: Html;
  /** A message from the previous action (`?msg=` signed by HIY: respond.ts), shown by the next page. */
  flash?: string;
  /** Whether the flash reports a failure. */
  flashIsError?: boolean;
  /** Live updates refresh `main`; only events of this resource when set. */
  live?: { resource?: string };
  /** Load the passkey script. */
  passkeys?: boolean;
  /** Reload the page every so many seconds (a build under way: its log grows). */
  refreshSeconds?: number;
}

export function page(opts: PageOptions): Html {
  const v = opts.viewer;
  const link = (href: string, section: Section, text: string) =>
    html`<a href="${href}"${opts.section === section ? html` aria-current="page"` : ''}>${text}</a>`;
  const nav = v
    ? html`<nav aria-label="Main">${link('/', 'overview', 'Overview')}${link('/plan', 'plan', 'Plan')}${link('/events', 'events', 'Events')}${
        isAllowed(v.user, 'read', '*') && roleOn(v.user, '*') === 'admin'
          ? link('/people', 'people', 'People')
          : ''
      }</nav>
      <div class="who"><span id="live-status" class="muted" aria-live="polite"></span>
      <a href="/me"${opts.section === 'me' ? html` aria-current="page"` : ''}>${v.user.metadata.name}</a>
      <form class="inline" method="post" action="/logout"><input type="hidden" name="csrf" value="${v.csrf}">
      <button class="secondary" type="submit">Sign out</button></form></div>`
    : '';
  const flash = opts.flash
    ? html`<div class="${opts.flashIsError ? 'alert' : 'notice'}" role="${opts.flashIsError ? 'alert' : 'status'}">${opts.flash}</div>`
    : '';
  const live = opts.live && v;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · HIY</title><link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml"><link rel="stylesheet" href="${assetUrl('hiy.css')}">
${v ? html`<meta name="csrf-token" content="${v.csrf}">` : ''}
${opts.refreshSeconds ? html`<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : ''}
${live ? html`<script src="${assetUrl('live.js')}" defer></script>` : ''}
${opts.passkeys ? html`<script src="${assetUrl('passkey.js')}" defer></script>` : ''}
</head><body><a class="skip" href="#main">Skip to content</a>
<header><a class="brand" href="/">HIY</a>${nav}</header>
<main id="main"${live ? html` data-live${opts.live?.resource ? html` data-resource="${opts.live.resource}"` : ''}` : ''}>
${flash}${opts.body}</main></body></html>
`;
}

/** A CSRF field for a form of the viewer. */
export function csrfField(v: Viewer): Html {
  return html`<input type="hidden" name="csrf" value="${v.csrf}">`;
}

/** Ready / Stalled / Reconciling as a coloured badge with its reason. */
export function conditionBadge(
  conditions: { type: string; status: string; reason: string; message: string }[],
): Html {
  const stalled = conditions.find((c) => c.type === 'Stalled' && c.status === 'True');
  const building = conditions.find((c) => c.type === 'Building' && c.status === 'True');
  if (building && !stalled)
    return html`<span class="badge warn" title="${building.message}">Building</span> ${building.reason}`;
  const reconciling = conditions.find((c) => c.type === 'Reconciling' && c.status === 'True');
  const ready = conditions.find((c) => c.type === 'Ready');
  const c = stalled ?? reconciling ?? ready;
  if (!c) return html`<span class="badge muted">unknown</span>`;
  const cls = stalled ? 'bad' : reconciling ? 'warn' : c.status === 'True' ? 'ok' : 'bad';
  const label = stalled
    ? 'Stalled'
    : reconciling
      ? 'Reconciling'
      : c.status === 'True'
        ? 'Ready'
        : 'Not ready';
  return html`<span class="badge ${cls}" title="${c.message}">${label}</span> ${c.reason}`;
}
