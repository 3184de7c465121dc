// The HTTP API on real Podman and Caddy: tokens, grants (401/403 change nothing), reads, actions, SSE, metrics.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import type { ControllerEvent } from '../../src/model/events.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import type { AuditEntry } from '../../src/store/audit.js';
import { TestController } from '../support/controller.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { instanceObjects } from '../support/podman.js';

const users = `apiVersion: hiy/v1
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
---
apiVersion: hiy/v1
kind: User
metadata: { name: carol }
spec:
  grants: [{ app: blog, role: deploy }]
`;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: replies are checked field by field
  json: () => any;
}

describe('HTTP API', () => {
  let h: Harness;
  let server: ApiServer;
  let controller: TestController;
  const tokens: Record<string, string> = {};
  const SECRET = `api-s3cret-${randomBytes(8).toString('hex')}`;
  const replies: string[] = [];

  const call = (method: string, path: string, token?: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const url = new URL(path, server.url);
      const text = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        url,
        {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(text ? { 'content-type': 'application/json' } : {}),
          },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (d) => {
            data += d;
          });
          res.on('end', () => {
            replies.push(data);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: data,
              json: () => JSON.parse(data),
            });
          });
        },
      );
      req.on('error', reject);
      req.end(text);
    });

  const audit = async (): Promise<AuditEntry[]> =>
    (await readFile(join(h.dataDir, 'audit.log'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));

  const port = () =>
    webPort('greeter', 'greeter.test', { volume: true }).replace(
      '  routes:',
      '  secretEnv:\n    API_KEY: api-key\n  routes:',
    );

  before(async () => {
    h = await startHarness({ 'users.yaml': users, 'greeter.yaml': port() });
    await writeFile(join(h.root, 'key'), SECRET);
    assert.equal((await h.hiy(['secret', 'set', 'api-key', '--from-file', join(h.root, 'key')])).code, 0);
    for (const u of ['alice', 'bob', 'carol']) {
      const r = await h.hiy(['token', 'create', u]);
      assert.equal(r.code, 0, r.err);
      tokens[u] = r.out.trim();
    }
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    controller = new TestController(engine);
    server = await startApiServer({ controller, engine, addr: '127.0.0.1:0' });
  });

  after(async () => {
    await server?.close();
    await h.cleanup();
  });

  it('token create refuses users that are not in the state repo', async () => {
    const r = await h.hiy(['token', 'create', 'mallory']);
    assert.equal(r.code, 1);
    assert.match(r.err, /no User mallory in the state repo \(users: alice, bob, carol\)/);
    const list = JSON.parse((await h.hiy(['token', 'list', '--json'])).out);
    assert.deepEqual(list.tokens.map((t: { user: string }) => t.user).sort(), ['alice', 'bob', 'carol']);
    const stored = await readFile(join(h.dataDir, 'api-tokens.json'), 'utf8');
    for (const t of Object.values(tokens)) assert.ok(!stored.includes(t), 'only hashes are stored');
  });

  it('/healthz needs no token; /metrics speaks Prometheus text', async () => {
    const health = await call('GET', '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json(), { ok: true });
    const metrics = await call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(String(metrics.headers['content-type']), /text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /# TYPE hiy_reconcile_duration_seconds histogram/);
  });

  it('without a token or with a bad one: 401, and a refused reconcile changes nothing', async () => {
    const none = await call('GET', '/api/v1/status');
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Bearer/);
    const bad = await call('GET', '/api/v1/status', `${tokens.alice!.slice(0, -4)}AAAA`);
    assert.equal(bad.status, 401);
    assert.equal((await call('POST', '/api/v1/reconcile')).status, 401);
    assert.equal((await call('POST', '/api/v1/reconcile', 'hiy_000000000000_nope')).status, 401);
    assert.deepEqual(controller.triggers, []);
    assert.deepEqual(await instanceObjects('containers', h.instance, '{{.Names}}'), []);
  });

  it('without the grant: 403 and nothing changes (view cannot reconcile, deploy elsewhere cannot roll back)', async () => {
    const r = await call('POST', '/api/v1/reconcile', tokens.bob);
    assert.equal(r.status, 403);
    assert.match(r.json().error.message, /bob may not start a reconcile/);
    const snap = await call('POST', '/api/v1/snapshots', tokens.carol, { resource: 'greeter' });
    assert.equal(snap.status, 403);
    assert.deepEqual(controller.triggers, []);
    assert.deepEqual(await instanceObjects('containers', h.instance, '{{.Names}}'), []);
    const log = await audit();
    assert.deepEqual(
      log.map((e) => [e.actor, e.action, e.result]),
      [
        ['anonymous', 'reconcile', 'unauthenticated'],
        ['anonymous', 'reconcile', 'unauthenticated'],
        ['bob', 'reconcile', 'denied'],
        ['carol', 'snapshot.create', 'denied'],
      ],
    );
  });

  it('POST /reconcile goes through the controller; the box converges; metrics count it', async () => {
    const r = await call('POST', '/api/v1/reconcile', tokens.carol);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json().ok, true);
    assert.deepEqual(controller.triggers, [{ kind: 'api', detail: 'carol' }]);
    assert.equal((await h.get('greeter.test')).body.trim(), 'greeter:hello');
    const last = (await audit()).at(-1)!;
    assert.equal(last.actor, 'carol');
    assert.equal(last.result, 'ok');
    const m = (await call('GET', '/metrics')).body;
    assert.match(m, /hiy_reconcile_runs_total\{result="ok"\} 1/);
    assert.match(m, /hiy_actions_total\{kind="container\.create",result="done"\} 1/);
    assert.match(m, /hiy_reconcile_duration_seconds_count 1/);
    assert.match(m, /hiy_last_successful_reconcile_timestamp_seconds \d+/);
  });

  it('reads are filtered by grants', async () => {
    const bob = (await call('GET', '/api/v1/status', tokens.bob)).json();
    assert.deepEqual(
      bob.resources.map((r: { id: string }) => r.id),
      ['port/greeter'],
    );
    assert.equal(bob.resources[0].container.state, 'running');
    const carol = (await call('GET', '/api/v1/status', tokens.carol)).json();
    assert.deepEqual(carol.resources, [], 'carol has no grant on the Port');

    const bobRes = (await call('GET', '/api/v1/resources', tokens.bob)).json();
    assert.deepEqual(
      bobRes.resources.map((r: { id: string }) => r.id),
      ['port/greeter'],
    );
    const aliceRes = (await call('GET', '/api/v1/resources', tokens.alice)).json();
    assert.ok(aliceRes.resources.some((r: { id: string }) => r.id === 'user/alice'));

    const plan = await call('GET', '/api/v1/plan', tokens.bob);
    assert.equal(plan.status, 200);
    assert.deepEqual(plan.json().actions, []);
    const releases = await call('GET', '/api/v1/releases/greeter', tokens.bob);
    assert.equal(releases.json().releases.length, 1);
    assert.equal((await call('GET', '/api/v1/releases/greeter', tokens.carol)).status, 403);
    assert.equal((await call('GET', '/api/v1/nothing', tokens.bob)).status, 404);
    assert.equal((await call('DELETE', '/api/v1/status', tokens.bob)).status, 405);
  });

  it('events stream over SSE while a reconcile runs, filtered by grants', async () => {
    const open = (token: string) => {
      const seen: ControllerEvent[] = [];
      const req = request(new URL('/api/v1/events', server.url), {
        headers: { authorization: `Bearer ${token}` },
      });
      const ready = new Promise<void>((resolve) => {
        req.on('response', (res) => {
          assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buf += d;
            if (buf.includes(': connected')) resolve();
            let i = buf.indexOf('\n\n');
            while (i >= 0) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              const data = block.split('\n').find((l) => l.startsWith('data: '));
              if (data) seen.push(JSON.parse(data.slice(6)));
              i = buf.indexOf('\n\n');
            }
          });
        });
      });
      req.on('error', () => undefined);
      req.end();
      return { seen, ready, close: () => req.destroy() };
    };
    const alice = open(tokens.alice!);
    const carol = open(tokens.carol!);
    await Promise.all([alice.ready, carol.ready]);
    await h.commit({ 'greeter.yaml': port().replace('GREETING: "hello"', 'GREETING: "v2"') });
    const r = await call('POST', '/api/v1/reconcile', tokens.alice);
    assert.equal(r.json().ok, true, r.body);
    assert.equal((await h.get('greeter.test')).body.trim(), 'greeter:v2');
    const types = alice.seen.map((e) => e.type);
    assert.equal(types[0], 'reconcile.started');
    assert.equal(types.at(-1), 'reconcile.finished');
    assert.ok(alice.seen.some((e) => e.type === 'action.finished' && e.resource === 'port/greeter'));
    assert.ok(!carol.seen.some((e) => e.resource === 'port/greeter'), 'carol sees no event of the Port');
    assert.ok(carol.seen.some((e) => e.type === 'reconcile.finished'));
    alice.close();
    carol.close();
  });

  it('snapshot (deploy) and rollback (admin) call the reconcile functions', async () => {
    const snap = await call('POST', '/api/v1/snapshots', tokens.alice, { resource: 'greeter' });
    assert.equal(snap.status, 201, snap.body);
    assert.equal(snap.json().snapshots.length, 1);
    const list = (await call('GET', '/api/v1/snapshots?resource=greeter', tokens.bob)).json();
    assert.ok(list.snapshots.some((s: { id: string }) => s.id === snap.json().snapshots[0].id));
    assert.equal((await call('POST', '/api/v1/rollback', tokens.bob, { resource: 'greeter' })).status, 403);
    const unknown = await call('POST', '/api/v1/rollback', tokens.alice, { resource: 'nope' });
    assert.equal(unknown.status, 404);
    const rb = await call('POST', '/api/v1/rollback', tokens.alice, { resource: 'greeter' });
    assert.equal(rb.status, 200, rb.body);
    assert.deepEqual([rb.json().from, rb.json().to, rb.json().ok], [2, 1, true]);
    assert.equal((await h.get('greeter.test')).body.trim(), 'greeter:hello');
    const log = await audit();
    assert.deepEqual(
      log.slice(-4).map((e) => [e.actor, e.action, e.target, e.result]),
      [
        ['alice', 'snapshot.create', 'port/greeter', 'ok'],
        ['bob', 'rollback', 'port/greeter', 'denied'],
        ['alice', 'rollback', undefined, 'failed'],
        ['alice', 'rollback', 'port/greeter', 'ok'],
      ],
    );
  });

  it('whole-box reads show a partly granted user only their own retained volumes', async () => {
    await h.commit({ 'scratch.yaml': webPort('scratch', 'scratch.test', { volume: true }) });
    assert.equal((await h.hiy(['apply'])).code, 0);
    await h.commit({ 'scratch.yaml': null });
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.err);
    const alice = (await call('GET', '/api/v1/status', tokens.alice)).json();
    const retained = alice.retainedVolumes.filter((v: string) => v.includes('scratch'));
    assert.equal(retained.length, 1, JSON.stringify(alice.retainedVolumes));
    const carol = (await call('GET', '/api/v1/status', tokens.carol)).json();
    assert.deepEqual(carol.retainedVolumes, []);
    assert.equal(carol.lastError, undefined);
    await h.commit({ 'scratch.yaml': webPort('scratch', 'scratch.test', { volume: true }) });
    await h.commit({ 'scratch.yaml': null });
    const carolPlan = (await call('GET', '/api/v1/plan', tokens.carol)).json();
    assert.deepEqual(carolPlan.retained, []);
    assert.equal(carolPlan.proxy, undefined);
    const alicePlan = (await call('GET', '/api/v1/plan', tokens.alice)).json();
    assert.ok(alicePlan.retained.some((r: { resource: string }) => r.resource === 'port/scratch'));
  });

  it('a revoked token is refused; no reply or audit line ever held the secret value', async () => {
    const id = JSON.parse((await h.hiy(['token', 'list', '--json'])).out).tokens.find(
      (t: { user: string }) => t.user === 'bob',
    ).id;
    assert.equal((await h.hiy(['token', 'revoke', id])).code, 0);
    assert.equal((await call('GET', '/api/v1/status', tokens.bob)).status, 401);
    assert.ok(replies.length > 20);
    assert.deepEqual(
      replies.filter((r) => r.includes(SECRET)),
      [],
    );
    assert.ok(!(await readFile(join(h.dataDir, 'audit.log'), 'utf8')).includes(SECRET));
  });
});
