// One contract for the Caddy driver, held by the real admin API client (against a throwaway Caddy) and by the fake.
// biome-ignore-all lint/suspicious/noExplicitAny: these tests poke into untyped Caddy JSON on purpose
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { describe, it } from 'node:test';
import { CaddyAdminClient } from '../../src/drivers/caddy/client.js';
import { FakeCaddy } from '../../src/drivers/caddy/fake.js';
import {
  mergeOwned,
  ownedServerNames,
  parseOwned,
  renderProxy,
  tlsPolicyId,
  validateConfig,
} from '../../src/drivers/caddy/render.js';
import { type CaddyConfig, type CaddyDriver, CaddyError } from '../../src/drivers/caddy/types.js';
import type { ProxyState } from '../../src/model/routing.js';
import { startCaddy } from '../support/caddy.js';
import { freePort, waitFor } from '../support/ports.js';

/** One driver under test, on a fresh Caddy (real or fake). */
interface Subject {
  driver: CaddyDriver & { calls: number };
  /** What a fresh instance holds: null for Caddy without config; the real one needs its admin block kept. */
  base: CaddyConfig | null;
  /** A loopback address free for a server in the loaded config. */
  listen: string;
  /** A driver whose admin API cannot be reached, and the URL its errors must name. */
  unreachable(): Promise<{ driver: CaddyDriver; url: string }>;
  /** Another driver on the same Caddy, built for `owner` (an HIY instance's server name). */
  owned(owner: string): CaddyDriver;
  close(): Promise<void>;
}

/** Runs the contract against fresh subjects from `make`. */
function caddyContract(name: string, make: () => Promise<Subject>): void {
  describe(`CaddyDriver contract: ${name}`, () => {
    const withSubject = (fn: (s: Subject) => Promise<void>) => async () => {
      const s = await make();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    };

    it(
      'a fresh instance reads back its start config (null when started without one)',
      withSubject(async (s) => {
        assert.deepEqual(await s.driver.getConfig(), s.base);
      }),
    );

    it(
      'load then getConfig round-trips, one call each',
      withSubject(async (s) => {
        const config = {
          ...s.base,
          apps: {
            http: {
              servers: {
                mine: {
                  listen: [s.listen],
                  routes: [{ handle: [{ handler: 'static_response', body: 'hi' }] }],
                },
              },
            },
          },
        };
        const before = s.driver.calls;
        await s.driver.load(config);
        assert.deepEqual(await s.driver.getConfig(), config);
        assert.equal(s.driver.calls - before, 2);
      }),
    );

    it(
      'getConfig returns a copy that the caller may change',
      withSubject(async (s) => {
        await s.driver.load({ ...s.base, apps: { http: { servers: {} } } });
        const got = (await s.driver.getConfig()) as { apps: { http: { servers: Record<string, unknown> } } };
        got.apps.http.servers['x'] = {};
        assert.deepEqual((await s.driver.getConfig())?.['apps'], { http: { servers: {} } });
      }),
    );

    it(
      "a merged config keeps the user's unrelated server and reads back pristine",
      withSubject(async (s) => {
        const userServer = {
          listen: [s.listen],
          routes: [{ handle: [{ handler: 'static_response', body: 'mine' }] }],
        };
        await s.driver.load({ ...s.base, apps: { http: { servers: { mine: userServer } } } });
        const state: ProxyState = {
          server: 'hiy-t1',
          listen: [`127.0.0.1:${await freePort()}`],
          tls: 'off',
          routes: [
            { resource: 'port/greeter', host: 'greeter.test', path: '/', upstream: '127.0.0.1:20001' },
          ],
        };
        const merged = mergeOwned(
          await s.driver.getConfig(),
          renderProxy(state),
          ownedServerNames(state.server),
          tlsPolicyId(state.server),
        );
        await s.driver.load(merged);
        const after = (await s.driver.getConfig()) as {
          apps: { http: { servers: Record<string, unknown> } };
        };
        assert.deepEqual(after.apps.http.servers['mine'], userServer);
        assert.deepEqual(parseOwned(after, state.server), { present: true, state, pristine: true });
      }),
    );

    it(
      'a config Caddy refuses is a CaddyError and the previous config stays',
      withSubject(async (s) => {
        const good = { ...s.base, apps: { http: { servers: { mine: { listen: [s.listen], routes: [] } } } } };
        await s.driver.load(good);
        const bad = {
          ...s.base,
          apps: { http: { servers: { mine: { listen: ['127.0.0.1:99999'], routes: [] } } } },
        };
        await assert.rejects(s.driver.load(bad), (err) => {
          assert.ok(err instanceof CaddyError);
          assert.match(err.message, /99999/);
          assert.equal(err.data.status, 400);
          return true;
        });
        assert.deepEqual(await s.driver.getConfig(), good);
      }),
    );

    it(
      "owners' loads keep each other's part and the user's, however stale the copy they merged from",
      withSubject(async (s) => {
        const userServer = { listen: [s.listen], routes: [] };
        await s.driver.load({ ...s.base, apps: { http: { servers: { mine: userServer } } } });
        const [one, two] = [s.owned('hiy-one'), s.owned('hiy-two')];
        const stateOf = async (server: string, host: string): Promise<ProxyState> => ({
          server,
          listen: [`127.0.0.1:${await freePort()}`],
          tls: 'off',
          routes: [{ resource: 'port/web', host, path: '/', upstream: '127.0.0.1:20001' }],
        });
        const merged = (copy: CaddyConfig | null, state: ProxyState) =>
          mergeOwned(copy, renderProxy(state), ownedServerNames(state.server), tlsPolicyId(state.server));
        // Both merge into the same copy, read before either loaded: each copy lacks the other's server.
        const stale = await one.getConfig();
        const stateTwo = await stateOf('hiy-two', 'two.test');
        await two.load(merged(stale, stateTwo));
        const stateOne = await stateOf('hiy-one', 'one.test');
        const loaded = await one.load(merged(stale, stateOne));
        const after = await s.driver.getConfig();
        assert.deepEqual(loaded, after, 'a load resolves to the config Caddy runs');
        assert.deepEqual((after as any).apps.http.servers.mine, userServer);
        assert.deepEqual(parseOwned(after, 'hiy-one'), { present: true, state: stateOne, pristine: true });
        assert.deepEqual(parseOwned(after, 'hiy-two'), { present: true, state: stateTwo, pristine: true });
        // Removing one's part (a copy still holding two's old server) removes one's only.
        await one.load(
          mergeOwned(
            after,
            { servers: {}, tlsPolicies: [] },
            ownedServerNames('hiy-one'),
            tlsPolicyId('hiy-one'),
          ),
        );
        const last = await s.driver.getConfig();
        assert.equal(parseOwned(last, 'hiy-one').present, false);
        assert.deepEqual(parseOwned(last, 'hiy-two'), { present: true, state: stateTwo, pristine: true });
        assert.deepEqual((last as any).apps.http.servers.mine, userServer);
      }),
    );

    it(
      'an unreachable admin API is a CaddyError naming its URL',
      withSubject(async (s) => {
        const { driver, url } = await s.unreachable();
        for (const call of [() => driver.getConfig(), () => driver.load({})]) {
          await assert.rejects(call(), (err) => {
            assert.ok(err instanceof CaddyError, String(err));
            assert.ok(err.message.includes(url), err.message);
            assert.match(err.message, /cannot reach Caddy's admin API .*connection refused/);
            assert.equal(err.data.url, url);
            return true;
          });
        }
      }),
    );
  });
}

caddyContract('CaddyAdminClient (real Caddy)', async () => {
  const caddy = await startCaddy();
  return {
    driver: new CaddyAdminClient({ adminUrl: caddy.adminUrl }),
    base: caddy.baseConfig,
    listen: `127.0.0.1:${caddy.httpPort}`,
    unreachable: async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      return { driver: new CaddyAdminClient({ adminUrl: url, timeoutMs: 2000 }), url };
    },
    owned: (owner) => new CaddyAdminClient({ adminUrl: caddy.adminUrl, owner }),
    close: () => caddy.stop(),
  };
});

caddyContract('FakeCaddy', async () => {
  const fake = new FakeCaddy({ adminUrl: 'http://127.0.0.1:2019' });
  return {
    driver: fake,
    base: null,
    listen: `127.0.0.1:${await freePort()}`,
    unreachable: async () => {
      const down = new FakeCaddy({ adminUrl: 'http://127.0.0.1:2019' });
      down.unreachable = true;
      return { driver: down, url: 'http://127.0.0.1:2019' };
    },
    owned: (owner) => fake.sharedWith(owner),
    close: async () => {},
  };
});

/** A tiny upstream on loopback answering `<name> <path>`. */
async function startUpstream(name: string): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    res.setHeader('Server', `upstream-${name}/1.0`);
    res.end(`${name} ${req.url}`);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server };
}

/** The Server header lines of the answer to GET http://127.0.0.1:port/path for `host`, as sent (rawHeaders). */
function serverHeaders(port: number, host: string, path = '/'): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host }, timeout: 5000 }, (res) => {
      res.resume();
      const raw = res.rawHeaders;
      resolve(raw.filter((_, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === 'server'));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** GET http://127.0.0.1:port/path with a Host header, as a browser asking for `host` would. */
function get(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('CaddyAdminClient against a real Caddy', () => {
  it("an owner's load over a config changed since its read is refused by Caddy's ETag, read again and re-based", async (t) => {
    const caddy = await startCaddy();
    t.after(() => caddy.stop());
    const [one, two] = [
      new CaddyAdminClient({ adminUrl: caddy.adminUrl, owner: 'hiy-one' }),
      new CaddyAdminClient({ adminUrl: caddy.adminUrl, owner: 'hiy-two' }),
    ];
    const state = async (server: string): Promise<ProxyState> => ({
      server,
      listen: [`127.0.0.1:${await freePort()}`],
      tls: 'off',
      routes: [{ resource: 'port/web', host: `${server}.test`, path: '/', upstream: '127.0.0.1:20001' }],
    });
    const merged = (copy: CaddyConfig | null, st: ProxyState) =>
      mergeOwned(copy, renderProxy(st), ownedServerNames(st.server), tlsPolicyId(st.server));
    const [stateOne, stateTwo] = [await state('hiy-one'), await state('hiy-two')];
    const copy = await one.getConfig();
    const before = one.calls;
    await one.load(merged(copy, stateOne));
    assert.equal(one.calls - before, 1, 'nothing changed since its read: one POST with If-Match');
    const stale = await one.getConfig();
    await two.load(merged(stale, stateTwo));
    const mid = one.calls;
    await one.load(merged(stale, { ...stateOne, routes: [] }));
    assert.equal(one.calls - mid, 3, 'a POST refused with 412, a read, a POST');
    const after = await two.getConfig();
    assert.deepEqual(parseOwned(after, 'hiy-two'), { present: true, state: stateTwo, pristine: true });
    assert.deepEqual(parseOwned(after, 'hiy-one').state?.routes, []);

    // Loads of both owners at once, each from a copy older than the other's: neither part is lost.
    for (let round = 1; round <= 5; round++) {
      const base = await new CaddyAdminClient({ adminUrl: caddy.adminUrl }).getConfig();
      const next = (st: ProxyState): ProxyState => ({
        ...st,
        routes: [{ ...st.routes[0]!, upstream: `127.0.0.1:${20000 + round}` }],
      });
      await Promise.all([one.load(merged(base, next(stateOne))), two.load(merged(base, next(stateTwo)))]);
      const now = await two.getConfig();
      for (const st of [stateOne, stateTwo])
        assert.deepEqual(
          parseOwned(now, st.server),
          { present: true, state: next(st), pristine: true },
          `round ${round}`,
        );
    }
  });

  it('routes by Host and path prefix to the upstream, and keeps serving after a refused load', async (t) => {
    const caddy = await startCaddy();
    t.after(() => caddy.stop());
    const site = await startUpstream('site');
    const blog = await startUpstream('blog');
    t.after(() => {
      site.server.close();
      blog.server.close();
    });
    const client = new CaddyAdminClient({ adminUrl: caddy.adminUrl });
    const state: ProxyState = {
      server: 'hiy-t1',
      listen: [`127.0.0.1:${caddy.httpPort}`],
      tls: 'off',
      routes: [
        { resource: 'app/blog', host: 'greeter.test', path: '/blog', upstream: `127.0.0.1:${blog.port}` },
        { resource: 'port/site', host: 'greeter.test', path: '/', upstream: `127.0.0.1:${site.port}` },
      ],
    };
    const owned = renderProxy(state);
    const names = ownedServerNames(state.server);
    await client.load(mergeOwned(await client.getConfig(), owned, names, tlsPolicyId(state.server)));

    const ok = await waitFor(
      async () => (await get(caddy.httpPort, 'greeter.test', '/hello')).body === 'site /hello',
      {
        what: 'caddy to serve the route',
      },
    );
    assert.ok(ok);
    assert.deepEqual(await get(caddy.httpPort, 'greeter.test', '/blog/post'), {
      status: 200,
      body: 'blog /blog/post',
    });
    assert.deepEqual(await get(caddy.httpPort, 'greeter.test', '/blog'), { status: 200, body: 'blog /blog' });
    assert.deepEqual(await get(caddy.httpPort, 'greeter.test', '/blogger'), {
      status: 200,
      body: 'site /blogger',
    });
    // One Server header: Caddy's; the upstream's (naming its software) is dropped.
    assert.deepEqual(await serverHeaders(caddy.httpPort, 'greeter.test', '/blog'), ['Caddy']);
    // No route matches another host: Caddy answers with an empty 200 and never reaches an upstream.
    assert.equal((await get(caddy.httpPort, 'other.test', '/hello')).body, '');

    const good = await client.getConfig();
    const broken = mergeOwned(good, owned, names, tlsPolicyId(state.server)) as any;
    broken.apps.http.servers['hiy-t1'].routes[0].handle.push({ handler: 'nope' });
    await assert.rejects(client.load(broken), (err) => {
      assert.ok(err instanceof CaddyError);
      assert.ok(err.message.includes(caddy.adminUrl), err.message);
      assert.match(err.message, /unknown module: http\.handlers\.nope/);
      return true;
    });
    assert.deepEqual(await client.getConfig(), good);
    assert.deepEqual(await get(caddy.httpPort, 'greeter.test', '/again'), {
      status: 200,
      body: 'site /again',
    });
  });

  it('refuses at load what validateConfig names beforehand, and loads what it passes', async (t) => {
    const caddy = await startCaddy();
    t.after(() => caddy.stop());
    const client = new CaddyAdminClient({ adminUrl: caddy.adminUrl });
    const [p, q] = [await freePort(), await freePort()];
    const config = (servers: Record<string, string[]>, tls?: unknown): CaddyConfig => ({
      ...caddy.baseConfig,
      apps: {
        http: {
          servers: Object.fromEntries(
            Object.entries(servers).map(([name, listen]) => [
              name,
              { listen, routes: [], automatic_https: { disable: true } },
            ]),
          ),
        },
        ...(tls ? { tls } : {}),
      },
    });
    const policy = (subjects: string[]) => ({ subjects, issuers: [{ module: 'internal' }] });
    const refused: [CaddyConfig, RegExp][] = [
      [config({ hiy: [`127.0.0.1:${p}`], mine: [`127.0.0.1:${p}`] }), /listener address repeated/],
      [config({ hiy: [`127.0.0.1:${p}`, `127.0.0.1:${p}`] }), /listener address repeated/],
      [config({ hiy: ['127.0.0.1:99999'] }), /invalid listener address '127\.0\.0\.1:99999'/],
      [
        config(
          { hiy: [`127.0.0.1:${p}`] },
          { automation: { policies: [policy(['a.test']), policy(['a.test'])] } },
        ),
        /cannot apply more than one automation policy to host: a\.test/,
      ],
    ];
    for (const [bad, why] of refused) {
      assert.notDeepEqual(validateConfig(bad), [], JSON.stringify(bad));
      await assert.rejects(client.load(bad), (err) => {
        assert.ok(err instanceof CaddyError);
        assert.match(err.message, why);
        return true;
      });
    }
    const good = config(
      { hiy: [`127.0.0.1:${p}`], mine: [`127.0.0.1:${q}`] },
      { automation: { policies: [policy(['a.test']), policy(['b.test'])] } },
    );
    assert.deepEqual(validateConfig(good), []);
    await client.load(good);
    assert.deepEqual(await client.getConfig(), good);
  });

  it("reads Caddy 2.6's `null` answer for an empty config as null", async (t) => {
    // A real Caddy with an admin API on a free port always has that admin block in its config, so the `null`
    // body Caddy 2.6 sends when started without any config is served here by a stand-in.
    const stub = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/config/') res.end('null\n');
      else res.writeHead(404).end('{"error":"not found"}');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => stub.listen(port, '127.0.0.1', resolve));
    t.after(() => stub.close());
    const client = new CaddyAdminClient({ adminUrl: `http://127.0.0.1:${port}/` });
    assert.equal(await client.getConfig(), null);
    await assert.rejects(client.load({}), /refused POST \/load \(HTTP 404\): not found/);
    assert.equal(client.calls, 2);
  });

  it('repeats a request once when Caddy drops the connection, counting one call', async (t) => {
    let seen = 0;
    const flaky = createServer((req, res) => {
      seen++;
      if (seen === 1) req.socket.destroy();
      else res.end('{"apps":{}}');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => flaky.listen(port, '127.0.0.1', resolve));
    t.after(() => flaky.close());
    const client = new CaddyAdminClient({ adminUrl: `http://127.0.0.1:${port}` });
    assert.deepEqual(await client.getConfig(), { apps: {} });
    assert.deepEqual(
      { calls: client.calls, retries: client.retries, seen },
      { calls: 1, retries: 1, seen: 2 },
    );
  });

  it('gives up after its timeout with a CaddyError', async (t) => {
    const silent = createServer(() => {});
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    t.after(() => {
      silent.closeAllConnections();
      silent.close();
    });
    const client = new CaddyAdminClient({ adminUrl: `http://127.0.0.1:${port}`, timeoutMs: 200 });
    await assert.rejects(client.getConfig(), (err) => {
      assert.ok(err instanceof CaddyError);
      assert.match(err.message, /failed to answer GET \/config\/: timed out after 200 ms/);
      return true;
    });
  });
});
