// Authorize before acting, on the resource touched, through the dashboard and the API on real Podman: a restore
// form given another resource's snapshot id changes nothing and names nothing; app/NAME never reaches a Port;
// a partial viewer's event stream names no resource it may not see.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { Browser } from 'playwright-core';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import { apiRequest } from '../support/api.js';
import { ensureDashboardAssets, launchBrowser, signInWithLink } from '../support/browser.js';
import { TestController } from '../support/controller.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

// carol deploys the App blog (never applied: the grant alone is what a restore form is checked against);
// mal's grant names the Port greeter as if it were an App; vic views blog only.
const USERS = `apiVersion: hiy/v1
kind: User
metadata: { name: carol }
spec:
  grants: [{ app: blog, role: deploy }]
---
apiVersion: hiy/v1
kind: User
metadata: { name: mal }
spec:
  grants: [{ app: greeter, role: admin }]
---
apiVersion: hiy/v1
kind: User
metadata: { name: vic }
spec:
  grants: [{ app: blog, role: view }]
`;

describe('authorization before acting', () => {
  let h: Harness;
  let server: ApiServer;
  let controller: TestController;
  let browser: Browser;
  let base: string;
  let snapshotId: string;
  const tokens: Record<string, string> = {};
  const container = () => `hiy-${h.instance}-greeter`;
  const cat = async () => (await execa('podman', ['exec', container(), 'cat', '/data/file'])).stdout.trim();
  const write = (text: string) =>
    execa('podman', ['exec', container(), 'sh', '-c', `echo ${text} > /data/file`]);
  const snapshots = async () =>
    JSON.parse((await h.hiy(['snapshot', 'list', 'greeter', '--json'])).out).snapshots as { id: string }[];

  const call = (method: string, path: string, token: string, body?: unknown) =>
    apiRequest(server.url, method, path, token, body);

  const loginUrl = async (user: string): Promise<string> => {
    const r = await h.hiy(['login', user]);
    assert.equal(r.code, 0, r.err);
    const last = new URL(r.out.trimEnd().split('\n').at(-1)!);
    return `${base}${last.pathname}${last.search}`;
  };

  before(async () => {
    await ensureDashboardAssets();
    h = await startHarness({
      'users.yaml': USERS,
      'greeter.yaml': webPort('greeter', 'greeter.test', { volume: true }),
    });
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.out + applied.err);
    await write('precious');
    const taken = await h.hiy(['snapshot', 'create', 'greeter', '--json']);
    assert.equal(taken.code, 0, taken.err);
    snapshotId = JSON.parse(taken.out).snapshots[0].id;
    await write('current');
    for (const u of ['mal', 'vic']) tokens[u] = (await h.hiy(['token', 'create', u])).out.trim();
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    controller = new TestController(engine);
    server = await startApiServer({ controller, engine, addr: '127.0.0.1:0' });
    base = `http://localhost:${server.port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await h?.cleanup();
  });

  it('the dashboard restore form of an App refuses a Port’s snapshot (exact id or prefix) before anything changes', async () => {
    const { context, page } = await signInWithLink(browser, await loginUrl('carol'));
    try {
      const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
      const before = (await snapshots()).length;
      const volume = `hiy-${h.instance}-greeter-data`;
      for (const snapshot of [snapshotId, snapshotId.slice(0, 10), `${volume}/${snapshotId}`]) {
        const r = await page.request.post(`${base}/r/app/blog/restore`, {
          form: { csrf: csrf!, snapshot, confirm: 'yes' },
          maxRedirects: 0,
        });
        assert.equal(r.status(), 303, `${snapshot}: back to the page with the outcome`);
        const back = new URL(r.headers().location!, base);
        assert.equal(back.searchParams.get('err'), '1');
        const message = back.searchParams.get('msg') ?? '';
        assert.equal(message, `no snapshot ${snapshot} of app/blog; hiy snapshot list shows the exact ids`);
      }
      assert.equal(await cat(), 'current', 'the Port’s data was not replaced');
      assert.equal((await snapshots()).length, before, 'no pre-restore snapshot was taken');
      const state = (
        await execa('podman', ['inspect', '-f', '{{.State.Status}}', container()])
      ).stdout.trim();
      assert.equal(state, 'running', 'the Port was never stopped');
    } finally {
      await context.close();
    }
  });

  it('the API resolves app/NAME to Apps only: a grant naming a Port reaches nothing', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/resources/app/greeter/logs?tail=5', undefined],
      ['GET', '/api/v1/resources/app/greeter/config', undefined],
      ['POST', '/api/v1/resources/app/greeter/restart', {}],
      ['POST', '/api/v1/snapshots', { resource: 'app/greeter' }],
      ['POST', '/api/v1/rollback', { resource: 'app/greeter' }],
    ] as const) {
      const r = await call(method, path, tokens.mal!, body);
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
      assert.match(r.text, /no App named greeter in the state repo/);
      assert.doesNotMatch(r.text, /greeter-is-up|GREETING/);
    }
    const port = await call('GET', '/api/v1/resources/greeter/logs?tail=5', tokens.mal!);
    assert.equal(port.status, 403, port.text);
    assert.equal((await snapshots()).length, 1);
  });

  it('a view user’s event stream carries only its resources; a box-wide failure names none', async () => {
    const received: string[] = [];
    const abort = new AbortController();
    const res = await fetch(`${server.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${tokens.vic}` },
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    const pump = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        received.push(decoder.decode(value));
      }
    })();
    await waitFor(() => received.join('').includes(': connected'), { what: 'the stream to open' });
    controller.emit('resource.failed', 'port/greeter: unhealthy', { resource: 'port/greeter' });
    controller.emit('reconcile.failed', 'port/greeter: image localhost/secret:1 not found', {
      data: { resource: 'port/greeter' },
    });
    controller.emit('resource.applied', 'app/blog: applied', { resource: 'app/blog' });
    await waitFor(() => received.join('').includes('app/blog: applied'), { what: 'the App’s event' });
    abort.abort();
    await pump;
    const all = received.join('');
    assert.match(all, /event: reconcile\.failed\ndata: .*box-wide/);
    assert.doesNotMatch(all, /greeter|secret/);
  });
});
