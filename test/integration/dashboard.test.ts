// The web dashboard in a real browser (Debian's chromium) against a real API server, Podman and Caddy: link and
// passkey sign-in, grants, CSRF, Roll back with data, an env edit that becomes a commit, removed users.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { Browser, Page } from 'playwright-core';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import type { AuditEntry } from '../../src/store/audit.js';
import { LoginLinkStore } from '../../src/store/loginLinks.js';
import { ensureDashboardAssets, launchBrowser, signInWithLink } from '../support/browser.js';
import { TestController } from '../support/controller.js';
import { git, type Harness, makeRepo, startHarness, webContainerfile, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

/**
 * Where a screenshot goes: the tracked docs/screenshots/ only when asked (HIY_SCREENSHOTS=1, to refresh the
 * README's pictures), else a temporary folder, so a test run never rewrites tracked files.
 */
const screenshotDir = join(tmpdir(), `hiy-screenshots-${process.pid}`);
function screenshotPath(name: string): string {
  if (process.env.HIY_SCREENSHOTS === '1') return join('docs', 'screenshots', name);
  mkdirSync(screenshotDir, { recursive: true });
  return join(screenshotDir, name);
}
after(() => rmSync(screenshotDir, { recursive: true, force: true }));

const USERS = `apiVersion: hiy/v1
kind: User
metadata: { name: alice }
spec:
  grants: [{ app: "*", role: admin }]
---
apiVersion: hiy/v1
kind: User
metadata: { name: bob }
spec:
  grants: [{ app: blog, role: view }]
`;

const BLOG = `apiVersion: hiy/v1
kind: App
metadata:
  name: blog
spec:
  source:
    git: ../src/blog
    branch: main
  routes:
    - host: blog.test
      port: 8080
  healthcheck:
    http: { path: /, port: 8080 }
    interval: 1s
    timeout: 20s
  stopGracePeriod: 1s
`;

const greeter = (greeting: string) =>
  webPort('greeter', 'greeter.test', { volume: true, env: { GREETING: greeting } });

describe('dashboard', () => {
  let h: Harness;
  let server: ApiServer;
  let controller: TestController;
  let browser: Browser;
  let base: string;
  let alice: Page;
  const container = () => `hiy-${h.instance}-greeter`;
  const cat = async () => (await execa('podman', ['exec', container(), 'cat', '/data/file'])).stdout.trim();
  const write = (text: string) =>
    execa('podman', ['exec', container(), 'sh', '-c', `echo ${text} > /data/file`]);
  const audit = async (): Promise<AuditEntry[]> =>
    (await readFile(join(h.dataDir, 'audit.log'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const snapshotCount = async () =>
    JSON.parse((await h.hiy(['snapshot', 'list', 'greeter', '--json'])).out).snapshots.length as number;

  /** `hiy login USER`: the last line is the URL alone; it points at the default API address (no daemon runs). */
  const loginUrl = async (user: string): Promise<string> => {
    const r = await h.hiy(['login', user]);
    assert.equal(r.code, 0, r.err);
    const last = r.out.trimEnd().split('\n').at(-1)!;
    assert.match(last, /^http:\/\/127\.0\.0\.1:7070\/login\/link\?t=[A-Za-z0-9_-]{43}$/);
    return `${base}${new URL(last).pathname}${new URL(last).search}`;
  };

  before(async () => {
    await ensureDashboardAssets();
    h = await startHarness({ 'users.yaml': USERS, 'greeter.yaml': greeter('one') });
    await makeRepo(join(h.root, 'src', 'blog'), { Containerfile: webContainerfile('blog v1') });
    await h.commit({ 'blog.yaml': BLOG });
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.out + applied.err);
    await write('one');
    await h.commit({ 'greeter.yaml': greeter('two') });
    const second = await h.hiy(['apply']);
    assert.equal(second.code, 0, second.out + second.err);
    await write('two');
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    controller = new TestController(engine);
    server = await startApiServer({ controller, engine, addr: '127.0.0.1:0' });
    // WebAuthn needs a host name as relying party (not an IP address); localhost is a secure context over http.
    base = `http://localhost:${server.port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await h?.cleanup();
  });

  it('signs in through the link hiy login prints; the session cookie is HttpOnly and SameSite=Strict', async () => {
    ({ page: alice } = await signInWithLink(browser, await loginUrl('alice')));
    await alice.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.ok(await alice.getByRole('link', { name: 'greeter', exact: true }).isVisible());
    assert.ok(await alice.getByRole('link', { name: 'blog', exact: true }).isVisible());
    const [cookie] = await alice.context().cookies();
    assert.equal(cookie?.name, 'hiy_session');
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    const stored = await readFile(join(h.dataDir, 'sessions.json'), 'utf8');
    assert.ok(!stored.includes(cookie!.value), 'only a hash of the session is stored');
    await alice.screenshot({ path: screenshotPath('overview.png'), fullPage: true });
    const signin = (await audit()).find((e) => e.action === 'signin');
    assert.equal(signin?.actor, 'alice');
    assert.equal(signin?.result, 'ok');
    assert.match(signin?.detail ?? '', /link; session [0-9a-f]{12}; from 127\.0\.0\.1/);
  });

  it('ssh hiy@box login (the gate runs hiy git-shell USER) prints a link for the key’s user', async () => {
    const r = await h.hiy(['git-shell', 'bob'], {
      SSH_ORIGINAL_COMMAND: 'login',
      SSH_CLIENT: '10.1.2.3 5555 22',
    });
    assert.equal(r.code, 0, r.err);
    const url = r.out.trimEnd().split('\n').at(-1)!;
    assert.match(url, /^http:\/\/127\.0\.0\.1:7070\/login\/link\?t=[A-Za-z0-9_-]{43}$/);
    const { context, page } = await signInWithLink(
      browser,
      `${base}${new URL(url).pathname}${new URL(url).search}`,
    );
    assert.match(await page.locator('header').innerText(), /bob/);
    await context.close();
    const refused = await h.hiy(['git-shell', 'mallory'], { SSH_ORIGINAL_COMMAND: 'login' });
    assert.equal(refused.code, 1);
    assert.match(refused.err, /refused: mallory is not a User of this HIY/);
    assert.equal(refused.out, '');
    const lines = (await audit()).filter((e) => e.action === 'login.link' && e.via === 'ssh');
    assert.deepEqual(
      lines.map((e) => [e.actor, e.result]),
      [
        ['bob', 'ok'],
        ['mallory', 'denied'],
      ],
    );
    assert.match(lines[0]!.detail ?? '', /from 10\.1\.2\.3/);
  });

  it('refuses a link used once already, and an expired one', async () => {
    const url = await loginUrl('alice');
    const first = await signInWithLink(browser, url);
    await first.context.close();
    const again = await browser.newContext();
    const page = await again.newPage();
    const r = await page.goto(url);
    assert.equal(r?.status(), 410);
    assert.match(await page.locator('main').innerText(), /already used or has expired/);
    // Issued 11 minutes ago: valid for 10.
    const old = await new LoginLinkStore(h.dataDir, () => new Date(Date.now() - 11 * 60_000)).create('alice');
    const expired = await page.goto(`${base}/login/link?t=${old.token}`);
    assert.equal(expired?.status(), 410);
    // Posting it by hand is refused too, and opens no session.
    const post = await page.request.post(`${base}/login/link`, { form: { t: old.token } });
    assert.equal(post.status(), 410);
    assert.deepEqual(await again.cookies(), []);
    await again.close();
  });

  it('registers a passkey with a virtual authenticator and signs in with it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });
    await page.goto(await loginUrl('alice'));
    await page.getByRole('button', { name: /^Sign in as / }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.goto(`${base}/me`);
    await page.getByLabel('Name of the new passkey').fill('test key');
    await page.getByRole('button', { name: 'Register a passkey' }).click();
    await page.getByRole('cell', { name: 'test key', exact: true }).waitFor();
    const stored = JSON.parse(await readFile(join(h.dataDir, 'passkeys.json'), 'utf8'));
    assert.equal(stored.length, 1);
    assert.equal(stored[0].user, 'alice');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    assert.deepEqual(await context.cookies(), []);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const last = (await audit()).filter((e) => e.action === 'signin').at(-1);
    assert.equal(last?.actor, 'alice');
    assert.match(last?.detail ?? '', /^passkey;/);
    await context.close();
  });

  it('a view-only user sees only the apps granted and no action buttons; the same POST by hand is 403', async () => {
    const { context, page } = await signInWithLink(browser, await loginUrl('bob'));
    assert.ok(await page.getByRole('link', { name: 'blog', exact: true }).isVisible());
    assert.equal(await page.getByRole('link', { name: 'greeter', exact: true }).count(), 0);
    await page.goto(`${base}/r/app/blog`);
    await page.getByRole('heading', { name: 'App blog' }).waitFor();
    for (const name of [/Roll back/, /Snapshot now/, /Restore/, /Apply/])
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button`);
    for (const name of ['Edit env', 'Edit YAML', 'People'])
      assert.equal(await page.getByRole('link', { name }).count(), 0, `no ${name} link`);
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const before = await snapshotCount();
    const snap = await page.request.post(`${base}/r/app/blog/snapshot`, { form: { csrf: csrf! } });
    assert.equal(snap.status(), 403);
    const rollback = await page.request.post(`${base}/r/port/greeter/rollback`, {
      form: { csrf: csrf!, to: '1', withData: 'yes' },
    });
    assert.equal(rollback.status(), 403);
    assert.match(await rollback.text(), /bob may not do rollback on port\/greeter/i);
    assert.doesNotMatch(await rollback.text(), /at .*\.ts:\d+/, 'no stack trace');
    await page.getByRole('link', { name: 'build log' }).first().click();
    await page.getByRole('heading', { name: /^Build of blog at/ }).waitFor();
    assert.match(await page.locator('pre').innerText(), /\S/);
    assert.equal((await page.goto(`${base}/r/port/greeter`))?.status(), 404);
    assert.equal((await page.goto(`${base}/people`))?.status(), 403);
    assert.equal(await snapshotCount(), before);
    assert.equal(await cat(), 'two');
    const denied = (await audit()).filter((e) => e.actor === 'bob' && e.result === 'denied');
    assert.deepEqual(
      denied.map((e) => [e.action, e.target]),
      [
        ['snapshot.create', 'app/blog'],
        ['rollback', 'port/greeter'],
      ],
    );
    await context.close();
  });

  it('a forged POST without the CSRF token is 403 and changes nothing', async () => {
    const before = await snapshotCount();
    const forged = await alice.request.post(`${base}/r/port/greeter/snapshot`, {
      form: { resource: 'greeter' },
    });
    assert.equal(forged.status(), 403);
    const wrong = await alice.request.post(`${base}/r/port/greeter/snapshot`, {
      form: { csrf: 'x'.repeat(43) },
    });
    assert.equal(wrong.status(), 403);
    // From another site, even with the right token: the Origin gives it away.
    const csrf = await alice.locator('meta[name="csrf-token"]').getAttribute('content');
    const cross = await alice.request.post(`${base}/r/port/greeter/snapshot`, {
      form: { csrf: csrf! },
      headers: { origin: 'http://evil.example' },
    });
    assert.equal(cross.status(), 403);
    assert.equal(await snapshotCount(), before);
  });

  it('Snapshot now and Roll back with data from the page bring back the volume’s earlier content', async () => {
    await alice.goto(`${base}/r/port/greeter`);
    const before = await snapshotCount();
    await alice.getByRole('button', { name: 'Snapshot now' }).click();
    await alice.getByRole('status').filter({ hasText: 'Snapshot taken' }).waitFor();
    assert.equal(await snapshotCount(), before + 1);
    await write('three');
    await alice.getByRole('button', { name: 'Roll back to release 1 with its data' }).click();
    // Its confirmation page says what happens to the data; nothing changes until it is confirmed.
    await alice
      .getByRole('heading', { name: 'Roll back port/greeter to release 1 with its data?' })
      .waitFor();
    assert.match(await alice.locator('ul.facts').innerText(), /snapshotted first/);
    assert.equal(await cat(), 'three');
    await alice.getByRole('button', { name: 'Roll back with data' }).click();
    await alice
      .getByRole('status')
      .filter({ hasText: 'Rolled port/greeter back from release 2 to 1 with its data' })
      .waitFor({ timeout: 60_000 });
    assert.equal(await cat(), 'one', 'the data release 1 had before its upgrade');
    assert.equal((await h.get('greeter.test')).body.trim(), 'greeter:one');
    await alice.screenshot({ path: screenshotPath('resource.png'), fullPage: true });
    // Restore needs its confirmation: without it nothing changes; with it, the manual snapshot's data is back.
    const manual = JSON.parse((await h.hiy(['snapshot', 'list', 'greeter', '--json'])).out).snapshots.find(
      (m: { reason: string }) => m.reason === 'manual',
    );
    const csrf = await alice.locator('meta[name="csrf-token"]').getAttribute('content');
    const unconfirmed = await alice.request.post(`${base}/r/port/greeter/restore`, {
      form: { csrf: csrf!, snapshot: manual.id },
    });
    assert.equal(unconfirmed.status(), 400);
    assert.match(await unconfirmed.text(), /tick the confirmation box/i);
    assert.equal(await cat(), 'one');
    const row = alice.getByRole('row').filter({ hasText: manual.id });
    await row.getByText('Restore…').click();
    await row.getByLabel(/I want to replace the data/).check();
    await row.getByRole('button', { name: 'Restore' }).click();
    await alice
      .getByRole('status')
      .filter({ hasText: `from ${manual.id}` })
      .waitFor({ timeout: 60_000 });
    assert.equal(await cat(), 'two', 'the data of the manual snapshot');
    const line = (await audit()).filter((e) => e.action === 'rollback').at(-1);
    assert.equal(line?.actor, 'alice');
    assert.equal(line?.via, 'dashboard');
    assert.equal(line?.result, 'ok');
  });

  it('an env edit shows its plan, becomes a commit by that user, and the new value is served after Apply', async () => {
    await alice.goto(`${base}/r/port/greeter/edit`);
    const text = alice.getByLabel(/Variables, one KEY=value per line/);
    assert.equal(await text.inputValue(), 'GREETING=two');
    await text.fill('GREETING=edited');
    await alice.getByRole('button', { name: 'Show the plan' }).click();
    await alice.getByRole('heading', { name: 'Plan of this edit' }).waitFor();
    assert.match(await alice.locator('pre').innerText(), /GREETING/);
    // A bad edit is not committed; the error is shown in words.
    const head = await git(h.stateDir, ['rev-parse', 'HEAD']);
    await text.fill('1BAD=x');
    await alice.getByRole('button', { name: 'Commit' }).click();
    await alice.getByText(/The edit was not committed/).waitFor();
    assert.equal(await git(h.stateDir, ['rev-parse', 'HEAD']), head);
    await alice.getByLabel(/Variables, one KEY=value per line/).fill('GREETING=edited');
    await alice.getByRole('button', { name: 'Commit' }).click();
    await alice
      .getByRole('status')
      .filter({ hasText: /Committed [0-9a-f]{12} \(set GREETING\)/ })
      .waitFor();
    assert.equal(await git(h.stateDir, ['log', '-1', '--format=%an']), 'alice');
    assert.match(
      await git(h.stateDir, ['log', '-1', '--format=%s']),
      /dashboard: set GREETING of port\/greeter/,
    );
    assert.match(await git(h.stateDir, ['show', 'HEAD:greeter.yaml']), /GREETING: "?edited/);
    // The whole YAML (admin): an invalid edit is refused with its field path, and nothing is committed.
    const before = await git(h.stateDir, ['rev-parse', 'HEAD']);
    await alice.goto(`${base}/r/port/greeter/edit?yaml=1`);
    const yaml = alice.getByLabel('YAML');
    await yaml.fill((await yaml.inputValue()).replace('port: 8080', 'port: 99999'));
    await alice.getByRole('button', { name: 'Commit' }).click();
    await alice.getByText(/the state repo would not be valid/).waitFor();
    assert.match(
      await alice.getByRole('alert').innerText(),
      /greeter\.yaml:\d+:\d+.*spec\.routes\[0\]\.port/s,
    );
    assert.equal(await git(h.stateDir, ['rev-parse', 'HEAD']), before);
    await alice.goto(`${base}/plan`);
    await alice.getByRole('button', { name: 'Apply' }).click();
    await alice
      .getByRole('status')
      .filter({ hasText: /Applied/ })
      .waitFor({ timeout: 60_000 });
    await waitFor(async () => (await h.get('greeter.test')).body.trim() === 'greeter:edited', {
      timeoutMs: 30_000,
      what: 'the edited value served',
    });
  });

  it('an open page hears of a deploy over the event stream and refreshes itself', async () => {
    await alice.goto(`${base}/`);
    // Locators, not waitForFunction: the dashboard's CSP (script-src 'self') refuses evaluated strings.
    await alice.locator('body[data-live="open"]').waitFor({ state: 'attached' });
    controller.emit('resource.applied', 'port/greeter: commit abc applied', { resource: 'port/greeter' });
    await alice
      .locator('body[data-last-event][data-refreshed]')
      .waitFor({ state: 'attached', timeout: 5000 });
  });

  it('the resource page shows the container’s logs and follows new output live', async () => {
    await execa('podman', ['exec', container(), 'sh', '-c', 'echo before-the-page > /proc/1/fd/1']);
    await alice.goto(`${base}/r/port/greeter`);
    assert.match(await alice.locator('#logs').innerText(), /before-the-page/);
    await alice.locator('body[data-live="open"]').waitFor({ state: 'attached' });
    await waitFor(
      async () => {
        await execa('podman', ['exec', container(), 'sh', '-c', 'echo live-line > /proc/1/fd/1']);
        return alice.locator('body[data-log-lines]').count();
      },
      { timeoutMs: 10_000, intervalMs: 500, what: 'a log line reaching the page' },
    );
    assert.match(await alice.locator('#logs').innerText(), /live-line/);
  });

  it('pages stay under 100 KB with their CSS and JS, are served compressed, and static assets are cached', async () => {
    for (const path of ['/', '/r/port/greeter', '/plan', '/events', '/people', '/me']) {
      const r = await alice.request.get(`${base}${path}`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(r.status(), 200, path);
      const page = await r.text();
      const assets = [...page.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]!);
      let total = Buffer.byteLength(page);
      for (const a of assets) {
        const res = await alice.request.get(`${base}${a}`, { headers: { 'accept-encoding': 'br' } });
        assert.equal(res.headers()['cache-control'], 'public, max-age=31536000, immutable');
        assert.equal(res.headers()['content-encoding'], 'br');
        total += (await res.body()).length;
      }
      assert.ok(total <= 100 * 1024, `${path}: ${total} bytes with its CSS and JS`);
    }
    // Readable on a phone (nothing wider than the screen) and in dark mode.
    await alice.setViewportSize({ width: 390, height: 844 });
    await alice.emulateMedia({ colorScheme: 'dark' });
    await alice.goto(`${base}/`);
    const header = await alice.locator('header').boundingBox();
    assert.ok(header && header.width <= 390, `header ${header?.width} px wide`);
    const bg = await alice
      .locator('body')
      .evaluate(
        (b) =>
          (
            b.ownerDocument.defaultView as { getComputedStyle(e: unknown): { backgroundColor: string } }
          ).getComputedStyle(b).backgroundColor,
      );
    assert.equal(bg, 'rgb(13, 17, 23)', 'dark background');
    await alice.screenshot({ path: screenshotPath('phone-dark.png') });
    await alice.setViewportSize({ width: 1280, height: 720 });
    await alice.emulateMedia({ colorScheme: 'light' });
    const raw = await fetch(`${base}/login`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(raw.headers.get('content-encoding'), 'gzip');
    assert.equal(raw.headers.get('cache-control'), 'no-store');
  });

  it('is published through Caddy at HIY_DASHBOARD_HOST, and hiy login then prints that URL', async () => {
    const env = { HIY_DASHBOARD_HOST: 'hiy.test', HIY_API_ADDR: `127.0.0.1:${server.port}` };
    const applied = await h.hiy(['apply'], env);
    assert.equal(applied.code, 0, applied.out + applied.err);
    const page = await h.get('hiy.test', '/login');
    assert.equal(page.status, 200);
    assert.match(page.body, /Sign in to HIY/);
    const login = await h.hiy(['login', 'alice'], env);
    // The published host on the port Caddy serves plain HTTP on (a free port here; none when it is :80).
    const port = h.caddy.httpPort;
    assert.match(
      login.out.trimEnd().split('\n').at(-1)!,
      new RegExp(`^http://hiy\\.test:${port}/login/link\\?t=[A-Za-z0-9_-]{43}$`),
    );
    // Without the setting, the route goes with the next apply.
    assert.equal((await h.hiy(['apply'])).code, 0);
    assert.doesNotMatch((await h.get('hiy.test', '/login')).body, /Sign in to HIY/);
  });

  it('an admin revokes a session on People; that browser is signed out at once', async () => {
    const other = await signInWithLink(browser, await loginUrl('alice'));
    const list = JSON.parse((await h.hiy(['session', 'list', '--json'])).out).sessions as {
      id: string;
      user: string;
      createdAt: string;
    }[];
    const newest = list
      .filter((x) => x.user === 'alice')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .at(-1)!;
    await alice.goto(`${base}/people`);
    await alice.getByRole('heading', { name: 'API tokens' }).waitFor();
    await alice.getByRole('button', { name: `Revoke session ${newest.id}` }).click();
    await alice
      .getByRole('status')
      .filter({ hasText: `Session ${newest.id} revoked.` })
      .waitFor();
    await other.page.goto(`${base}/`);
    assert.equal(new URL(other.page.url()).pathname, '/login');
    const line = (await audit()).filter((e) => e.action === 'session.revoke').at(-1);
    assert.equal(line?.actor, 'alice');
    assert.equal(line?.result, 'ok');
    await other.context.close();
  });

  it('a User removed from the state repo loses its sessions and passkeys at the next apply', async () => {
    const { context, page } = await signInWithLink(browser, await loginUrl('bob'));
    const sessions = await h.hiy(['session', 'list', '--json']);
    assert.ok(JSON.parse(sessions.out).sessions.some((s: { user: string }) => s.user === 'bob'));
    await h.commit({ 'users.yaml': USERS.split('---')[0]! }, 'remove bob');
    assert.equal((await h.hiy(['apply'])).code, 0);
    const after = JSON.parse((await h.hiy(['session', 'list', '--json'])).out).sessions;
    assert.ok(!after.some((s: { user: string }) => s.user === 'bob'));
    await page.goto(`${base}/`);
    assert.equal(new URL(page.url()).pathname, '/login');
    await context.close();
  });

  it('sign-in failures are rate-limited per address: 429, and nothing is tried', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let last = 0;
    for (let i = 0; i < 12; i++) {
      const r = await page.request.post(`${base}/login/link`, { form: { t: 'A'.repeat(43) } });
      last = r.status();
    }
    assert.equal(last, 429);
    // Even a good link is refused now, and stays unused.
    const url = await loginUrl('alice');
    const good = await page.request.post(`${base}/login/link`, {
      form: { t: new URL(url).searchParams.get('t')! },
    });
    assert.equal(good.status(), 429);
    assert.match(await good.text(), /too many sign-in attempts/i);
    assert.deepEqual(await context.cookies(), []);
    await context.close();
  });
});
