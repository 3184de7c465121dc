// The resource page's actions in a real browser (Debian's chromium) against a real API server, Podman and Caddy:
// how to reach a resource, the env table's sources without secret values, an empty log's sentence, Restart and
// Roll back behind their confirmation page, Unpin, and a view-only user refused (no buttons, forged POSTs 403).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { Browser, Page } from 'playwright-core';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import type { AuditEntry } from '../../src/store/audit.js';
import { ensureDashboardAssets, launchBrowser, signInWithLink } from '../support/browser.js';
import { buildBusyboxPort } from '../support/busyboxPort.js';
import { TestController } from '../support/controller.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { freePort } from '../support/ports.js';

/** Screenshots go to a temporary folder only (never tracked files). */
const screenshotDir = join(tmpdir(), `hiy-screenshots-actions-${process.pid}`);
mkdirSync(screenshotDir, { recursive: true });
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
  grants: [{ app: "*", role: view }]
`;

/** A port with a declaration: a shell-like SSH port (published), a generated secret, and values for links. */
const SVC_SCRIPT = 'mkdir -p /www && echo "svc" > /www/index.html && exec httpd -f -p 8080 -h /www';
const SVC = {
  contract: 'v1',
  name: 'svc',
  version: '1.0.0',
  dataVersion: 1,
  description: 'a service with a login',
  env: {
    USERNAME: { description: 'the login name', required: true },
    MODE: { description: 'how it runs', default: 'quiet' },
    TOKEN: { description: 'the access token', secret: true, generate: { length: 24 } },
  },
  ports: [
    { containerPort: 8080, description: 'the web page', http: true },
    { containerPort: 22, description: 'SSH' },
  ],
  healthcheck: { http: { path: '/', port: 8080 }, interval: '1s', timeout: '30s' },
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the contract's own placeholders
  provides: { SVC_URL: 'http://${host}:8080/', SVC_TOKEN: '${secret.TOKEN}' },
};

const svcYaml = (image: string, sshPort: number) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: svc
spec:
  image: ${image}
  env:
    USERNAME: demo
  ports:
    - { containerPort: 22, hostPort: ${sshPort}, hostIP: 127.0.0.1 }
  routes:
    - host: svc.test
      port: 8080
  stopGracePeriod: 1s
`;

/** A busybox web port that links to svc and reads a secret from the store. */
const client = (greeting: string) =>
  webPort('client', 'client.test', { env: { GREETING: greeting } }).replace(
    '  routes:',
    '  links: [port/svc]\n  secretEnv:\n    API_KEY: client-api-key\n  routes:',
  );

describe('dashboard resource actions', () => {
  let h: Harness;
  let server: ApiServer;
  let browser: Browser;
  let base: string;
  let alice: Page;
  let sshPort: number;
  const containerId = async (name: string) =>
    (await execa('podman', ['inspect', '--format', '{{.Id}}', `hiy-${h.instance}-${name}`])).stdout.trim();
  const audit = async (): Promise<AuditEntry[]> =>
    (await readFile(join(h.dataDir, 'audit.log'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const loginUrl = async (user: string): Promise<string> => {
    const r = await h.hiy(['login', user]);
    assert.equal(r.code, 0, r.err);
    const last = new URL(r.out.trimEnd().split('\n').at(-1)!);
    return `${base}${last.pathname}${last.search}`;
  };
  const flash = (page: Page, text: string | RegExp) =>
    page.getByRole('status').filter({ hasText: text }).waitFor({ timeout: 120_000 });

  before(async () => {
    await ensureDashboardAssets();
    h = await startHarness({ 'users.yaml': USERS });
    const image = `localhost/hiy-test/${h.instance}-svc:1`;
    await buildBusyboxPort(h.instance, image, SVC_SCRIPT, SVC);
    sshPort = await freePort();
    const keyFile = join(h.root, 'api-key');
    await writeFile(keyFile, 'the-api-key-value-4711\n', { mode: 0o600 });
    const set = await h.hiy(['secret', 'set', 'client-api-key', '--from-file', keyFile]);
    assert.equal(set.code, 0, set.err);
    await h.commit({ 'svc.yaml': svcYaml(image, sshPort), 'client.yaml': client('one') });
    const first = await h.hiy(['apply']);
    assert.equal(first.code, 0, first.out + first.err);
    await h.commit({ 'client.yaml': client('two') });
    const second = await h.hiy(['apply']);
    assert.equal(second.code, 0, second.out + second.err);
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    server = await startApiServer({ controller: new TestController(engine), engine, addr: '127.0.0.1:0' });
    base = `http://localhost:${server.port}`;
    browser = await launchBrowser();
    ({ page: alice } = await signInWithLink(browser, await loginUrl('alice')));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await h?.cleanup();
  });

  it('the page says how to reach it: the route as Caddy serves it and the published SSH port as a command', async () => {
    await alice.goto(`${base}/r/port/svc`);
    await alice.getByRole('heading', { name: 'How to reach it' }).waitFor();
    const reach = alice.locator('table.reach');
    const url = `http://svc.test:${h.caddy.httpPort}/`;
    assert.equal(await reach.getByRole('link', { name: url }).getAttribute('href'), url);
    assert.equal((await h.get('svc.test')).body.trim(), 'svc', 'the route listed is served');
    const ssh = reach.getByRole('row').filter({ hasText: `127.0.0.1:${sshPort}/tcp` });
    assert.equal(await ssh.locator('code.copy').innerText(), `ssh -p ${sshPort} demo@127.0.0.1`);
    assert.match(await ssh.innerText(), /SSH/);
    await alice.screenshot({ path: join(screenshotDir, 'reach.png'), fullPage: true });
  });

  it('the env table shows what the container gets and where from, secrets by name only', async () => {
    await alice.goto(`${base}/r/port/client`);
    const table = alice.locator('table.env');
    await table.waitFor();
    // The row whose header is exactly the name (a substring match would also take USERNAME's row for NAME).
    const source = async (name: string) =>
      (
        await table
          .getByRole('row')
          .filter({ has: alice.getByRole('rowheader', { name, exact: true }) })
          .innerText()
      ).replace(/\s+/g, ' ');
    assert.match(await source('GREETING'), /two .*declared in the state repo/);
    assert.match(await source('SVC_URL'), /http:\/\/svc:8080\/ .*from the link to port\/svc/);
    assert.match(
      await source('SVC_TOKEN'),
      /hiy\.link\.client\.SVC_TOKEN \(value never shown\).*link to port\/svc/,
    );
    assert.match(await source('API_KEY'), /client-api-key \(value never shown\).*secret store/);
    await alice.goto(`${base}/r/port/svc`);
    await table.waitFor();
    assert.match(await source('TOKEN'), /hiy\.generated\.svc\.TOKEN \(value never shown\).*generated by HIY/);
    assert.match(await source('MODE'), /quiet .*default of the port declaration/);
    // No value of a secret anywhere on either page.
    const secrets = await Promise.all(
      ['hiy.generated.svc.TOKEN', 'hiy.link.client.SVC_TOKEN', 'client-api-key'].map((n) =>
        h.stores.secrets.value(n),
      ),
    );
    for (const page of ['/r/port/svc', '/r/port/client']) {
      const text = await (await alice.request.get(`${base}${page}`)).text();
      for (const value of secrets) {
        assert.ok(value && value.length >= 16, 'the secret exists');
        assert.ok(!text.includes(value.trim()), `no secret value on ${page}`);
      }
    }
  });

  it('an empty log says why: the container printed nothing yet', async () => {
    await alice.goto(`${base}/r/port/client`);
    const note = alice.locator('#logs-empty');
    assert.match(await note.innerText(), /Nothing printed yet: the container has written nothing/);
    assert.equal((await alice.locator('#logs').innerText()).trim(), '');
  });

  it('Restart asks for confirmation, then a new container of the same spec replaces the old one', async () => {
    const before = await containerId('svc');
    const csrf = await alice.locator('meta[name="csrf-token"]').getAttribute('content');
    const unconfirmed = await alice.request.post(`${base}/r/port/svc/restart`, { form: { csrf: csrf! } });
    assert.equal(unconfirmed.status(), 400);
    assert.match(await unconfirmed.text(), /confirm first/i);
    assert.equal(await containerId('svc'), before, 'nothing restarted without the confirmation');
    await alice.goto(`${base}/r/port/svc`);
    await alice.getByRole('link', { name: 'Restart' }).click();
    await alice.getByRole('heading', { name: 'Restart port/svc?' }).waitFor();
    assert.match(await alice.locator('ul.facts').innerText(), new RegExp(before.slice(0, 12)));
    await alice.screenshot({ path: join(screenshotDir, 'restart-confirm.png'), fullPage: true });
    await alice.getByRole('button', { name: 'Restart' }).click();
    await flash(alice, 'Restarted port/svc');
    assert.notEqual(await containerId('svc'), before, 'a new container');
    assert.equal((await h.get('svc.test')).body.trim(), 'svc');
    const releases = await h.stores.releases.list('port/svc');
    assert.equal(releases.at(-1)?.cause, 'restart');
    const events = await h.stores.events.read();
    assert.ok(events.some((e) => e.type === 'resource.restarted' && e.resource === 'port/svc'));
    const line = (await audit()).filter((e) => e.action === 'restart').at(-1);
    assert.deepEqual([line?.actor, line?.via, line?.result], ['alice', 'dashboard', 'ok']);
  });

  it('Roll back asks for confirmation; the rolled-back resource is pinned', async () => {
    await alice.goto(`${base}/r/port/client`);
    await alice.getByRole('button', { name: 'Roll back to release 1', exact: true }).click();
    await alice.getByRole('heading', { name: 'Roll back port/client to release 1?' }).waitFor();
    assert.match(await alice.locator('ul.facts').innerText(), /Its volumes keep the data/);
    assert.equal((await h.get('client.test')).body.trim(), 'client:two', 'nothing changed before confirming');
    await alice.getByRole('button', { name: 'Roll back', exact: true }).click();
    await flash(alice, 'Rolled port/client back from release 2 to 1');
    assert.equal((await h.get('client.test')).body.trim(), 'client:one');
    assert.equal((await h.stores.pins.read())['port/client']?.release, 1);
    await alice.getByRole('button', { name: /^Unpin client/ }).waitFor();
  });

  it('a view-only user sees no Restart, Roll back or Unpin; forged POSTs are 403 and change nothing', async () => {
    const { context, page } = await signInWithLink(browser, await loginUrl('bob'));
    await page.goto(`${base}/r/port/client`);
    await page.getByRole('heading', { name: 'Port client' }).waitFor();
    // Bob's own token, from his page (the 403 pages below carry none).
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    assert.ok(csrf);
    assert.match(
      await page.locator('.card').filter({ hasText: 'pinned' }).innerText(),
      /pinned to release 1/,
    );
    for (const name of [/Roll back/, /Unpin/, /Restart/])
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button`);
    assert.equal(await page.getByRole('link', { name: 'Restart' }).count(), 0, 'no Restart link');
    assert.equal((await page.goto(`${base}/r/port/client/restart`))?.status(), 403);
    assert.equal((await page.goto(`${base}/r/port/client/rollback?to=1`))?.status(), 403);
    const before = await containerId('client');
    const token: string = csrf ?? '';
    for (const verb of ['restart', 'unpin', 'rollback']) {
      const r = await page.request.post(`${base}/r/port/client/${verb}`, {
        form: { csrf: token, confirm: 'yes', to: '2' },
      });
      assert.equal(r.status(), 403, verb);
      assert.match(await r.text(), new RegExp(`bob may not do ${verb} on port/client`, 'i'));
    }
    // The CSRF check comes first: alice, allowed, without the token or from another site, is refused too.
    const forged = await alice.request.post(`${base}/r/port/client/unpin`, { form: {} });
    assert.equal(forged.status(), 403);
    const aliceCsrf = await alice.locator('meta[name="csrf-token"]').getAttribute('content');
    const cross = await alice.request.post(`${base}/r/port/client/restart`, {
      form: { csrf: aliceCsrf!, confirm: 'yes' },
      headers: { origin: 'http://evil.example' },
    });
    assert.equal(cross.status(), 403);
    assert.equal(await containerId('client'), before);
    assert.equal((await h.stores.pins.read())['port/client']?.release, 1, 'still pinned');
    const denied = (await audit()).filter((e) => e.actor === 'bob' && e.result === 'denied');
    assert.deepEqual(
      denied.map((e) => [e.action, e.target]),
      [
        ['restart', 'port/client'],
        ['unpin', 'port/client'],
        ['rollback', 'port/client'],
      ],
    );
    await context.close();
  });

  it('Unpin applies the state repo’s version again', async () => {
    await alice.goto(`${base}/r/port/client`);
    await alice.getByRole('button', { name: /^Unpin client/ }).click();
    await flash(alice, /Unpinned port\/client from release 1; the state repo's version is applied/);
    assert.equal((await h.stores.pins.read())['port/client'], undefined);
    assert.equal((await h.get('client.test')).body.trim(), 'client:two');
  });
});
