// The plan page: what the head of the state repo would change on the box now, with Apply for admins on "*".
import { isAllowed, roleOn } from '../../access/grants.js';
import { computePlan } from '../../engine/engine.js';
import { StateRepoInvalidError } from '../../model/diagnostics.js';
import { renderPlan } from '../../plan/render.js';
import type { Plan } from '../../plan/types.js';
import { planVisibleTo } from '../visibility.js';
import type { DashboardContext, Viewer } from './context.js';
import { diagnosticsList } from './diagnostics.js';
import { type Html, html } from './html.js';
import { csrfField, page } from './layout.js';

/** The plan narrowed to what the viewer may see, as `hiy plan` prints it. */
export function planTextFor(plan: Plan, viewer: Viewer): string {
  if (isAllowed(viewer.user, 'read', '*')) return renderPlan(plan);
  const visible = planVisibleTo(plan, (id) => isAllowed(viewer.user, 'read', id));
  return renderPlan({ ...visible, proxy: plan.proxy });
}

export async function planPage(
  ctx: DashboardContext,
  viewer: Viewer,
  flash?: { text: string; error: boolean },
): Promise<Html> {
  let body: Html;
  try {
    const { plan } = await computePlan(ctx.engine);
    const mayApply = roleOn(viewer.user, '*') === 'admin';
    body = html`<h1>Plan</h1><p class="muted">What applying the head of the state repo would change on this box now (like <code>hiy plan</code>).</p>
<pre>${planTextFor(plan, viewer)}</pre>
${mayApply && plan.actions.length > 0 ? html`<form method="post" action="/plan/apply">${csrfField(viewer)}<button type="submit">Apply</button> <span class="muted">runs a reconcile of the head, like the daemon does after a commit</span></form>` : ''}`;
  } catch (err) {
    if (!(err instanceof StateRepoInvalidError)) throw err;
    body = html`<h1>Plan</h1><p>The state repo cannot be applied: ${err.message}.</p>${diagnosticsList(
      err.diagnostics.filter(
        (d) =>
          !d.resource || isAllowed(viewer.user, 'read', '*') || isAllowed(viewer.user, 'read', d.resource),
      ),
    )}`;
  }
  return page({
    title: 'Plan',
    section: 'plan',
    viewer,
    body,
    flash: flash?.text,
    flashIsError: flash?.error,
    live: {},
  });
}
