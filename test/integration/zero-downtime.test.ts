// Stateless upgrades start the new container first: a client probing the route sees no failed request.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { instanceObjects } from '../support/podman.js';
import { waitFor } from '../support/ports.js';

describe('health-gated start-first upgrade of a stateless resource', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ 'web.yaml': webPort('web', 'web.test', { env: { GREETING: 'v1' } }) });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
  });

  after(() => h.cleanup());

  it('a probe during the upgrade sees zero failed requests', async () => {
    await h.commit({ 'web.yaml': webPort('web', 'web.test', { env: { GREETING: 'v2' } }) });
    let running = true;
    const seen = { ok: 0, failed: 0, bodies: new Set<string>(), errors: [] as string[] };
    const probe = (async () => {
      while (running) {
        try {
          const res = await h.get('web.test');
          if (res.status === 200 && res.body.startsWith('web:')) {
            seen.ok++;
            seen.bodies.add(res.body.trim());
          } else {
            seen.failed++;
            seen.errors.push(`HTTP ${res.status} ${res.body.slice(0, 80)}`);
          }
        } catch (err) {
          seen.failed++;
          seen.errors.push(String(err));
        }
      }
    })();
    const r = await h.hiy(['apply']);
    // Keep probing after the switch, while the old container is gone: 10 more answers, however slow the box.
    const answered = seen.ok + seen.failed;
    await waitFor(() => seen.ok + seen.failed >= answered + 10, {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: '10 probes after the switch',
    });
    running = false;
    await probe;
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /new one starts first/);
    assert.equal(
      seen.failed,
      0,
      `failed requests during the upgrade: ${seen.failed} of ${seen.ok + seen.failed}: ${seen.errors.join('; ')}`,
    );
    assert.ok(seen.ok > 20, `only ${seen.ok} probes ran`);
    assert.deepEqual([...seen.bodies].sort(), ['web:v1', 'web:v2']);
    const names = (await instanceObjects('containers', h.instance, '{{.Names}}')).join('\n');
    assert.deepEqual(names.split('\n'), [`hiy-${h.instance}-web`]);
    assert.match((await h.hiy(['apply'])).out, /No changes/);
  });

  it('a new version that never becomes healthy is removed and the old one keeps serving', async () => {
    const broken = webPort('web', 'web.test', { env: { GREETING: 'v3' } })
      .replace('http: { path: /, port: 8080 }', 'http: { path: /missing, port: 8080 }')
      .replace('timeout: 20s', 'timeout: 2s')
      .replace('&& exec httpd', '&& echo \\"v3 serves no /missing\\" && exec httpd');
    assert.match(broken, /v3 serves no/);
    await h.commit({ 'web.yaml': broken });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 1);
    assert.match(r.out, /did not become healthy within 2s.*\(its output: hiy logs web --previous\)/);
    // What the failed container printed is kept: why it failed is usually there.
    const previous = await h.hiy(['logs', 'web', '--previous']);
    assert.equal(previous.code, 0, previous.err);
    assert.match(previous.out, /v3 serves no \/missing/);
    assert.equal((await h.get('web.test')).body.trim(), 'web:v2');
    const names = (await instanceObjects('containers', h.instance, '{{.Names}}')).join('\n');
    assert.deepEqual(names.split('\n'), [`hiy-${h.instance}-web`]);
  });
});
