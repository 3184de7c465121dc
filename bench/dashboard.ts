// dashboard: the overview of 200 resources rendered server-side (HTML + compression), and how long a deploy
// event takes to reach a dashboard page open in a real browser (Debian's chromium, over the SSE stream).

import { gzipSync } from 'node:zlib';
import { settingsFrom } from '../src/cli/config.js';
import type { StatusView } from '../src/engine/statusView.js';
import { realEngine } from '../src/main.js';
import type { UserResource } from '../src/model/resources.js';
import { page } from '../src/server/dashboard/layout.js';
import { renderOverview } from '../src/server/dashboard/overview.js';
import { startApiServer } from '../src/server/server.js';
import { LoginLinkStore } from '../src/store/loginLinks.js';
import { ensureDashboardAssets, launchBrowser, signInWithLink } from '../test/support/browser.js';
import { TestController } from '../test/support/controller.js';
import { startHarness } from '../test/support/hiy.js';
import { type BenchContext, type Result, stats, withCleanup } from './lib.js';

const RENDER_TARGET_MS = 50;
const EVENT_TARGET_MS = 1000;
const COUNT = 200;

function bigView(): StatusView {
  const at = new Date(Date.now() - 3600_000).toISOString();
  return {
    stateRepo: '/srv/state',
    branch: 'main',
    head: 'a'.repeat(40),
    lastAppliedCommit: 'a'.repeat(40),
    lastAppliedAt: at,
    stateErrors: 0,
    resources: Array.from({ length: COUNT }, (_, i) => ({
      id: i % 2 ? (`app/svc${i}` as const) : (`port/svc${i}` as const),
      inStateRepo: true,
      container: {
        name: `hiy-default-svc${i}`,
        state: 'running',
        image: `localhost/hiy-default/svc${i}:${'b'.repeat(12)}`,
      },
      routes: [`svc${i}.example.com/`],
      lastAppliedCommit: 'a'.repeat(40),
      pending: i % 17 === 0,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Applied', message: 'applied', lastTransitionTime: at },
      ],
    })),
    retainedVolumes: [],
    retainedOwners: {},
  };
}

const admin: UserResource = {
  apiVersion: 'hiy/v1',
  kind: 'User',
  metadata: { name: 'alice' },
  spec: { sshKeys: [], grants: [{ app: '*', role: 'admin' }] },
};

export async function benchDashboard(ctx: BenchContext): Promise<Result[]> {
  const runs = ctx.quick ? 30 : 100;
  const view = bigView();
  const lastDeploy = Object.fromEntries(view.resources.map((r) => [r.id, view.lastAppliedAt]));
  const viewer = { user: admin, sessionId: 'x', csrf: 'y', address: '127.0.0.1' };
  const render = () => {
    const t0 = performance.now();
    const body = renderOverview({ view, lastDeploy, tls: 'acme', now: Date.now() });
    const html = page({ title: 'Overview', section: 'overview', viewer, body, live: {} });
    const size = Buffer.byteLength(html.text);
    gzipSync(html.text, { level: 6 });
    return { ms: performance.now() - t0, size };
  };
  for (let i = 0; i < 10; i++) render();
  const samples: number[] = [];
  let size = 0;
  for (let i = 0; i < runs; i++) {
    const r = render();
    samples.push(r.ms);
    size = r.size;
  }
  const renderStats = stats(samples);
  const results: Result[] = [
    {
      name: 'dashboard-overview-200',
      group: 'dashboard',
      samplesMs: samples,
      stats: renderStats,
      target: `median ≤ ${RENDER_TARGET_MS} ms`,
      verdict: renderStats.median <= RENDER_TARGET_MS ? 'pass' : 'FAIL',
      note: `HTML of 200 resources + gzip; ${Math.round(size / 1024)} KB uncompressed`,
    },
  ];

  ctx.log('dashboard: a browser on the overview, events emitted through the controller...');
  await ensureDashboardAssets();
  const eventSamples: number[] = [];
  const stack: (() => Promise<void>)[] = [];
  await withCleanup(
    'dashboard: browser, API server, harness',
    async () => {
      for (const fn of stack.reverse()) await fn().catch(() => undefined);
    },
    async () => {
      const h = await startHarness({
        'users.yaml':
          'apiVersion: hiy/v1\nkind: User\nmetadata: { name: alice }\nspec:\n  grants: [{ app: "*", role: admin }]\n',
      });
      stack.push(() => h.cleanup());
      const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
      const controller = new TestController(engine);
      const server = await startApiServer({ controller, engine, addr: '127.0.0.1:0' });
      stack.push(() => server.close());
      const browser = await launchBrowser();
      stack.push(() => browser.close());
      const { token } = await new LoginLinkStore(h.dataDir).create('alice');
      const { page: tab } = await signInWithLink(
        browser,
        `http://localhost:${server.port}/login/link?t=${token}`,
      );
      await tab.locator('body[data-live="open"]').waitFor({ state: 'attached' });
      for (let i = 1; i <= (ctx.quick ? 10 : 30); i++) {
        const t0 = performance.now();
        controller.emit('resource.applied', `port/web: commit ${i} applied`, { resource: 'port/web' });
        await tab.locator(`body[data-last-event="${i}"]`).waitFor({ state: 'attached', timeout: 5000 });
        eventSamples.push(performance.now() - t0);
      }
    },
  );
  const ev = stats(eventSamples);
  results.push({
    name: 'dashboard-event-to-page',
    group: 'dashboard',
    samplesMs: eventSamples,
    stats: ev,
    target: `p90 ≤ ${EVENT_TARGET_MS} ms`,
    verdict: ev.p90 <= EVENT_TARGET_MS ? 'pass' : 'FAIL',
    note: 'controller event → SSE → open page (chromium), measured until the page has it',
  });
  return results;
}
