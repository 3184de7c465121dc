// Push webhooks with real signatures: an "external" git repo (file:// URL), a real mirror, build and deploy on
// real Podman and Caddy through the controller; unsigned, badly signed and replayed deliveries build nothing.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import { webhookHandler } from '../../src/server/webhooks.js';
import { TestController } from '../support/controller.js';
import { git, type Harness, makeRepo, startHarness } from '../support/hiy.js';
import { instanceObjects } from '../support/podman.js';
import { waitFor } from '../support/ports.js';

const CONTAINERFILE = `FROM localhost/hiy/busybox:latest
COPY index.html /www/index.html
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
`;

describe('push webhooks', () => {
  let h: Harness;
  let server: ApiServer;
  let controller: TestController;
  let ext: string;
  let url: string;
  const SECRET = `hook-${randomBytes(12).toString('hex')}`;

  const site = () => `apiVersion: hiy/v1
kind: App
metadata: { name: site }
spec:
  source:
    git: ${url}
    branch: main
    webhookSecret: site-hook
  routes:
    - host: site.test
      port: 8080
  healthcheck:
    http: { path: /, port: 8080 }
    interval: 1s
    timeout: 20s
  stopGracePeriod: 1s
`;

  const post = (
    path: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(new URL(path, server.url), { method: 'POST', headers }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          data += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      });
      req.on('error', reject);
      req.end(body);
    });

  const payload = async () =>
    JSON.stringify({
      ref: 'refs/heads/main',
      after: await git(ext, ['rev-parse', 'HEAD']),
      repository: { clone_url: url, html_url: 'https://forge.invalid/me/site' },
    });
  const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

  before(async () => {
    h = await startHarness();
    ext = join(h.root, 'external-site');
    await makeRepo(ext, { Containerfile: CONTAINERFILE, 'index.html': 'v1\n' });
    url = `file://${ext}`;
    await h.commit({ 'site.yaml': site() });
    await writeFile(join(h.root, 'hook'), SECRET);
    assert.equal((await h.hiy(['secret', 'set', 'site-hook', '--from-file', join(h.root, 'hook')])).code, 0);
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    controller = new TestController(engine);
    server = await startApiServer({
      controller,
      engine,
      addr: '127.0.0.1:0',
      handlers: [webhookHandler({ engine, controller })],
    });
  });

  after(async () => {
    await server?.close();
    await h.cleanup();
  });

  it('until the source is fetched, plan says so', async () => {
    const r = await h.hiy(['plan']);
    assert.equal(r.code, 1);
    assert.match(r.err, /site\.yaml:\d+:\d+: spec\.source\.git: source file:\/\/\S+ is not fetched yet/);
  });

  it('unsigned, wrongly signed and Forgejo-wrongly-signed deliveries get 401 and build nothing', async () => {
    const body = await payload();
    const base = { 'content-type': 'application/json', 'x-github-event': 'push' };
    const unsigned = await post('/hooks/github', body, { ...base, 'x-github-delivery': 'd-1' });
    assert.equal(unsigned.status, 401);
    const wrong = await post('/hooks/github', body, {
      ...base,
      'x-github-delivery': 'd-2',
      'x-hub-signature-256': `sha256=${sign(body, 'not-the-secret')}`,
    });
    assert.equal(wrong.status, 401);
    const tampered = await post('/hooks/github', body.replace('main', 'mains'), {
      ...base,
      'x-github-delivery': 'd-3',
      'x-hub-signature-256': `sha256=${sign(body)}`,
    });
    assert.equal(tampered.status, 401);
    const forgejo = await post('/hooks/gitea', body, {
      'x-forgejo-event': 'push',
      'x-forgejo-delivery': 'd-4',
      'x-forgejo-signature': sign(body, 'wrong'),
    });
    assert.equal(forgejo.status, 401);
    assert.deepEqual(controller.triggers, []);
    assert.deepEqual(await instanceObjects('containers', h.instance, '{{.Names}}'), []);
    await assert.rejects(stat(join(h.dataDir, 'mirrors', 'site.git')), 'no mirror was made');
  });

  it('a signed GitHub push fetches the commit, builds and deploys through the controller', async () => {
    const body = await payload();
    const r = await post('/hooks/github', body, {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': 'gh-1',
      'x-hub-signature-256': `sha256=${sign(body)}`,
    });
    assert.equal(r.status, 202, r.body);
    assert.deepEqual(JSON.parse(r.body).apps, ['app/site']);
    assert.equal(controller.triggers[0]?.kind, 'webhook');
    await waitFor(async () => (await h.get('site.test')).body.trim() === 'v1', {
      timeoutMs: 120_000,
      what: 'v1 served',
    });
  });

  it('the same delivery again is a replay: 401, nothing enqueued', async () => {
    const body = await payload();
    const r = await post('/hooks/github', body, {
      'x-github-event': 'push',
      'x-github-delivery': 'gh-1',
      'x-hub-signature-256': `sha256=${sign(body)}`,
    });
    assert.equal(r.status, 401);
    assert.match(r.body, /already received/);
    assert.equal(controller.triggers.length, 1);
  });

  it('a signed Gitea push of a new commit deploys it', async () => {
    await writeFile(join(ext, 'index.html'), 'v2\n');
    await git(ext, ['commit', '-qam', 'v2']);
    const body = await payload();
    const r = await post('/hooks/gitea', body, {
      'x-gitea-event': 'push',
      'x-gitea-delivery': 'gt-1',
      'x-gitea-signature': sign(body),
    });
    assert.equal(r.status, 202, r.body);
    await waitFor(async () => (await h.get('site.test')).body.trim() === 'v2', {
      timeoutMs: 120_000,
      what: 'v2 served',
    });
  });

  it('a push to another branch is accepted but builds nothing; the audit log has every delivery, no secret', async () => {
    const body = JSON.stringify({
      ref: 'refs/heads/dev',
      after: '0'.repeat(40),
      repository: { clone_url: url },
    });
    const r = await post('/hooks/github', body, {
      'x-github-event': 'push',
      'x-github-delivery': 'gh-2',
      'x-hub-signature-256': `sha256=${sign(body)}`,
    });
    assert.equal(r.status, 202);
    assert.match(JSON.parse(r.body).ignored, /no App builds refs\/heads\/dev/);
    assert.equal(controller.triggers.length, 2);
    const log = (await readFile(join(h.dataDir, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      log.map((e) => [e.action, e.result]),
      [
        ['webhook.github', 'unauthenticated'],
        ['webhook.github', 'unauthenticated'],
        ['webhook.github', 'unauthenticated'],
        ['webhook.gitea', 'unauthenticated'],
        ['webhook.github', 'ok'],
        ['webhook.github', 'unauthenticated'],
        ['webhook.gitea', 'ok'],
      ],
    );
    const text = await readFile(join(h.dataDir, 'audit.log'), 'utf8');
    assert.ok(!text.includes(SECRET));
  });
});
