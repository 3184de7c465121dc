// Notifications from real reconciles (real Podman and Caddy) to a local HTTP server: JSON webhook and ntfy-style.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import pino from 'pino';
import { settingsFrom } from '../../src/cli/config.js';
import { nodeFetch } from '../../src/drivers/http/fetch.js';
import { realEngine } from '../../src/main.js';
import { type NotifierService, startNotifier } from '../../src/notify/notify.js';
import { TestController } from '../support/controller.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('notifications', () => {
  let h: Harness;
  let sink: Server;
  let base: string;
  let controller: TestController;
  let notifier: NotifierService;
  const received: Received[] = [];

  const notifiers = () => `apiVersion: hiy/v1
kind: Notifier
metadata: { name: hook }
spec:
  url: ${base}/hook
---
apiVersion: hiy/v1
kind: Notifier
metadata: { name: phone }
spec:
  url: ${base}/hiy-alerts
  format: ntfy
  events: [deploy.failed, drift.corrected, snapshot.failed]
`;
  const take = async (n: number) => {
    await notifier.idle();
    assert.equal(received.length, n, JSON.stringify(received, null, 1));
    return received.splice(0, n);
  };

  before(async () => {
    sink = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
    h = await startHarness({ 'greeter.yaml': webPort('greeter', 'greeter.test') });
    await h.commit({ 'notifiers.yaml': notifiers() });
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    controller = new TestController(engine);
    notifier = startNotifier({ controller, engine, logger: pino({ level: 'silent' }), fetchImpl: nodeFetch });
  });

  after(async () => {
    notifier?.stop();
    await h.cleanup();
    await new Promise<void>((r) => sink.close(() => r()));
  });

  it('a successful deploy goes to the JSON webhook only (the ntfy one does not want it)', async () => {
    const o = await controller.enqueue({ kind: 'commit' });
    assert.ok(o.ok, o.error);
    const [json] = await take(1);
    assert.equal(json!.path, '/hook');
    assert.equal(json!.headers['content-type'], 'application/json');
    const note = JSON.parse(json!.body);
    assert.equal(note.event, 'deploy.succeeded');
    assert.equal(note.commit, o.commit);
    assert.equal(note.sender, 'hiy');
  });

  it('drift corrected by a resync: both; ntfy gets a text body with Title, Priority and Tags', async () => {
    await execa('podman', ['rm', '-f', '-t', '0', `hiy-${h.instance}-greeter`]);
    const o = await controller.enqueue({ kind: 'resync' });
    assert.ok(o.ok, o.error);
    assert.equal((await h.get('greeter.test')).status, 200);
    const got = await take(2);
    const ntfy = got.find((r) => r.path === '/hiy-alerts')!;
    assert.equal(ntfy.headers.title, 'HIY: HIY corrected drift');
    assert.equal(ntfy.headers.priority, '3');
    assert.equal(ntfy.headers.tags, 'wrench');
    assert.match(ntfy.body, /reconcile succeeded\ncommit [0-9a-f]{12}/);
    assert.equal(JSON.parse(got.find((r) => r.path === '/hook')!.body).event, 'drift.corrected');
  });

  it('a failed deploy is high priority on ntfy', async () => {
    await h.commit({
      'greeter.yaml': webPort('greeter', 'greeter.test').replace(
        'localhost/hiy/busybox:latest',
        'localhost/hiy/does-not-exist:1',
      ),
    });
    const o = await controller.enqueue({ kind: 'commit' });
    assert.equal(o.ok, false);
    const got = await take(2);
    const ntfy = got.find((r) => r.path === '/hiy-alerts')!;
    assert.equal(ntfy.headers.title, 'HIY: Deploy FAILED');
    assert.equal(ntfy.headers.priority, '4');
    assert.equal(ntfy.headers.tags, 'x');
    assert.equal(JSON.parse(got.find((r) => r.path === '/hook')!.body).event, 'deploy.failed');
  });

  it('snapshot failures and rollbacks from the controller are sent; other events are not', async () => {
    controller.emit('snapshot.failed', 'snapshot of hiy-greeter-data failed: disk full', {
      resource: 'port/greeter',
    });
    controller.emit('rollback.finished', 'port/greeter rolled back to release 1', {
      resource: 'port/greeter',
    });
    controller.emit('action.finished', 'not a notification', { resource: 'port/greeter' });
    const got = await take(3);
    const ntfy = got.filter((r) => r.path === '/hiy-alerts');
    assert.deepEqual(
      ntfy.map((r) => [r.headers.title, r.headers.priority]),
      [['HIY: Snapshot FAILED (port/greeter)', '5']],
    );
    assert.deepEqual(
      got.filter((r) => r.path === '/hook').map((r) => JSON.parse(r.body).event),
      ['snapshot.failed', 'rollback'],
    );
  });
});
