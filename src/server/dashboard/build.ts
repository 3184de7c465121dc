// The build page of an App (`/r/app/NAME/build/COMMIT`): its log, live while the build runs (the page reloads
// itself), and a Cancel button for whoever may push the App; and the cancel action (CSRF-checked by runAction).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowed } from '../../access/grants.js';
import { readBuildLog } from '../../engine/buildLogs.js';
import { cancelBuild, listBuilds } from '../../engine/builds.js';
import { type BuildRun, isActive } from '../../store/builds.js';
import { HttpError } from '../http.js';
import type { ActionSpec } from './actions.js';
import type { DashboardContext, Viewer } from './context.js';
import { ago, type Html, html } from './html.js';
import { csrfField, page } from './layout.js';
import { sendHtml } from './respond.js';

/** Seconds between two reloads of the page of a running build. */
const LIVE_REFRESH_SECONDS = 3;

/** The line about a build under way, with its Cancel button when the viewer may cancel it. */
export function buildUnderWay(run: BuildRun, id: string, viewer: Viewer, now: number): Html {
  const mayCancel = run.state !== 'deploying' && isAllowed(viewer.user, 'cancelBuild', id);
  return html`<div class="notice" role="status"><b>${run.state === 'queued' ? 'Queued' : run.state === 'deploying' ? 'Deploying' : 'Building'}</b>
<code>${run.commit.slice(0, 12)}</code> pushed by ${run.user} ${ago(run.startedAt, now)}${run.step ? html`, step: ${run.step}` : ''}
<a href="/r/${id}/build/${run.commit}">build log</a>
${mayCancel ? html`<form class="inline" method="post" action="/r/${id}/cancel-build">${csrfField(viewer)}<button type="submit" class="danger">Cancel build</button></form>` : ''}</div>`;
}

/** The last 90 KB of a build log (a page stays under 100 KB), live while the build runs. */
export async function buildLogPage(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  viewer: Viewer,
  id: string,
  commit: string,
): Promise<void> {
  const name = id.slice(id.indexOf('/') + 1);
  // Only Apps are built: a Port's URL never reads the build log of an App of the same name.
  const app = id.startsWith('app/');
  const text = app ? await readBuildLog(ctx.engine, name, commit) : undefined;
  const run = app ? (await listBuilds(ctx.engine, id)).find((r) => r.commit.startsWith(commit)) : undefined;
  if (text === undefined && !run)
    throw new HttpError(404, 'NOT_FOUND', `no build log of ${name} at ${commit.slice(0, 12)}`);
  const log = text ?? '';
  const cut = log.length > 90_000 ? `…(earlier lines cut)\n${log.slice(-90_000)}` : log;
  const active = run !== undefined && isActive(run);
  const state = run
    ? active
      ? buildUnderWay(run, id, viewer, Date.now())
      : html`<p>Build <b>${run.state}</b>${run.step ? html` in ${run.step}` : ''}${run.reason ? html`: ${run.reason}` : ''}</p>`
    : '';
  const body = html`<h1>Build of ${name} at <code>${commit.slice(0, 12)}</code></h1><p><a href="/r/${id}">Back to ${name}</a></p>
${state}<pre id="build-log" tabindex="0">${cut}</pre>`;
  sendHtml(
    req,
    res,
    200,
    page({
      title: `Build of ${name}`,
      section: 'overview',
      viewer,
      body,
      ...(active && { refreshSeconds: LIVE_REFRESH_SECONDS }),
    }),
  );
}

/** POST /r/app/NAME/cancel-build: stops the App's build under way (deploy on the App, as a push). */
export function cancelBuildAction(ctx: DashboardContext, id: string, viewer: Viewer): ActionSpec {
  return {
    action: 'build.cancel',
    target: id,
    back: `/r/${id}`,
    allowed: (v) => isAllowed(v.user, 'cancelBuild', id),
    run: async () => {
      const ended = await cancelBuild(ctx.engine, id, `${viewer.user.metadata.name} (dashboard)`);
      return {
        ok: ended.state === 'cancelled',
        message:
          ended.state === 'cancelled'
            ? `Cancelled the build of ${id} at ${ended.commit.slice(0, 12)}.`
            : `Asked the build of ${id} to stop; it is ${ended.state}.`,
      };
    },
  };
}
