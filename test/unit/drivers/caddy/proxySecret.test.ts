// The proxy secret goes into the dashboard route on load and out again on read: a round trip parses as pristine.
// biome-ignore-all lint/suspicious/noExplicitAny: these tests poke into untyped Caddy JSON on purpose
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaddyAdminClient } from '../../../../src/drivers/caddy/client.js';
import { withoutProxySecret, withProxySecret } from '../../../../src/drivers/caddy/proxySecret.js';
import {
  mergeOwned,
  ownedServerNames,
  parseOwned,
  renderProxy,
  tlsPolicyId,
} from '../../../../src/drivers/caddy/render.js';
import type { CaddyConfig } from '../../../../src/drivers/caddy/types.js';
import type { FetchLike } from '../../../../src/drivers/http/fetch.js';
import { DASHBOARD_ROUTE_RESOURCE, type ProxyState } from '../../../../src/model/routing.js';

const SECRET = 'sekrit-value';
const state: ProxyState = {
  server: 'hiy-box',
  listen: [':80'],
  tls: 'off',
  routes: [
    { resource: DASHBOARD_ROUTE_RESOURCE, host: 'hiy.example.com', path: '/', upstream: '127.0.0.1:7070' },
    { resource: 'app/blog' as never, host: 'blog.example.com', path: '/', upstream: '127.0.0.1:20000' },
  ],
};
const merged = (): CaddyConfig =>
  mergeOwned(null, renderProxy(state), ownedServerNames(state.server), tlsPolicyId(state.server));
const handlers = (c: CaddyConfig): Record<string, any> =>
  Object.fromEntries(
    (c as any).apps.http.servers[state.server].routes.map((r: any) => [r['@id'], r.handle[0]]),
  );

describe('proxy secret in the dashboard route', () => {
  it('sets the header (replacing a client copy) on the dashboard route only', () => {
    const sent = handlers(withProxySecret(merged(), SECRET));
    const dash = Object.entries(sent).find(([id]) => id.includes(':hiy/dashboard:'))![1];
    // Every route drops the upstream's Server header (Caddy sends its own); only the dashboard's sends the secret.
    const dropServer = { response: { delete: ['Server'] } };
    assert.deepEqual(dash.headers, { ...dropServer, request: { set: { 'X-Hiy-Proxy-Secret': [SECRET] } } });
    const blog = Object.entries(sent).find(([id]) => id.includes(':app/blog:'))![1];
    assert.deepEqual(blog.headers, dropServer);
  });

  it('reads back as exactly what HIY rendered: no change, no secret', () => {
    const back = withoutProxySecret(withProxySecret(merged(), SECRET), SECRET);
    assert.ok(!JSON.stringify(back).includes(SECRET));
    const parsed = parseOwned(back, state.server);
    assert.equal(parsed.pristine, true);
    assert.deepEqual(parsed.state?.routes.length, 2);
  });

  it('leaves another value in place, so the route reads as changed and the next apply rewrites it', () => {
    const back = withoutProxySecret(withProxySecret(merged(), 'old-secret'), SECRET);
    assert.equal(parseOwned(back, state.server).pristine, false);
  });

  it('does not mutate its input', () => {
    const input = merged();
    const copy = structuredClone(input);
    withProxySecret(input, SECRET);
    assert.deepEqual(input, copy);
  });
});

describe('CaddyAdminClient with a proxy secret', () => {
  /** A Caddy admin API in memory: GET /config/ answers what the last POST /load sent. */
  function fakeAdmin() {
    let stored = 'null';
    const fetch: FetchLike = async (_url, init = {}) => {
      if (init.method === 'POST') stored = String(init.body);
      const text = init.method === 'POST' ? '' : stored;
      return {
        status: 200,
        ok: true,
        headers: {},
        text: async () => text,
        arrayBuffer: async () => new ArrayBuffer(0),
      };
    };
    return { fetch, stored: () => stored };
  }

  it('reads without making a secret (planning writes nothing), and makes one only to load', async () => {
    let made: string | undefined;
    const source = {
      read: async () => made,
      ensure: async () => {
        made ??= SECRET;
        return made;
      },
    };
    const admin = fakeAdmin();
    const client = new CaddyAdminClient({
      adminUrl: 'http://127.0.0.1:1',
      fetch: admin.fetch,
      proxySecret: source,
    });
    assert.equal(await client.getConfig(), null);
    assert.equal(made, undefined);
    await client.load(merged());
    assert.equal(made, SECRET);
    assert.ok(admin.stored().includes(SECRET), 'Caddy gets the secret');
    const back = await client.getConfig();
    assert.ok(!JSON.stringify(back).includes(SECRET), 'the read-back does not show it');
    assert.equal(parseOwned(back, state.server).pristine, true);
  });
});
