// Prepare, then mutate, on real Podman and Caddy: a Caddy config that Caddy would refuse is found before the
// apply changes anything, so the stop-first upgrade it came with leaves the old container running and serving.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CaddyAdminClient } from '../../src/drivers/caddy/client.js';
import { type Harness, httpGet, startHarness, webPort } from '../support/hiy.js';
import { instanceObjects } from '../support/podman.js';
import { freePort } from '../support/ports.js';

describe('a Caddy config Caddy would refuse', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({
      'db.yaml': webPort('db', 'db.test', { volume: true, env: { GREETING: 'v1' } }),
    });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
  });

  after(() => h.cleanup());

  it('fails the apply before the stop-first upgrade stops the old container', async () => {
    // The user's own site in the same Caddy, on the address HIY is now (wrongly) told to listen on.
    const taken = await freePort();
    const client = new CaddyAdminClient({ adminUrl: h.caddy.adminUrl });
    const config = (await client.getConfig()) as { apps: { http: { servers: Record<string, unknown> } } };
    config.apps.http.servers['mine'] = {
      listen: [`127.0.0.1:${taken}`],
      routes: [{ handle: [{ handler: 'static_response', body: 'mine' }] }],
    };
    await client.load(config);
    // Id, name and start time (podman ps's {{.State}} is a text like "Up 1 second ago" that changes by itself).
    const containers = () =>
      instanceObjects('containers', h.instance, '{{.ID}} {{.Names}} {{.StartedAt}} exited={{.Exited}}');
    const before = await containers();
    assert.equal(before.length, 1);

    await h.commit({ 'db.yaml': webPort('db', 'db.test', { volume: true, env: { GREETING: 'v2' } }) });
    const r = await h.hiy(['apply'], { HIY_HTTP_ADDR: `127.0.0.1:${taken}` });
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(
      r.out + r.err,
      /HIY's Caddy config is not valid, nothing was changed: .*listener address tcp\/127\.0\.0\.1:\d+ is already claimed by server/,
    );
    assert.deepEqual(await containers(), before, 'the old container was never stopped or replaced');
    assert.equal((await h.get('db.test')).body.trim(), 'db:v1');
    assert.equal((await httpGet(taken, 'any.test')).body, 'mine');

    // On its own address the same upgrade goes through.
    const ok = await h.hiy(['apply']);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.equal((await h.get('db.test')).body.trim(), 'db:v2');
  });
});
