// Golden files and round trips for HIY's Caddy config: render, merge into a user's config, parse back, validate.
// biome-ignore-all lint/suspicious/noExplicitAny: these tests poke into untyped Caddy JSON on purpose
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  mergeOwned,
  ownedServerNames,
  parseOwned,
  rebaseOwned,
  renderProxy,
  tlsPolicyId,
  validateConfig,
  validateOwned,
} from '../../../../src/drivers/caddy/render.js';
import type { CaddyConfig } from '../../../../src/drivers/caddy/types.js';
import type { ProxyState } from '../../../../src/model/routing.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

/** Renders `state` and merges it into `existing`, as the apply step does. */
function mergedConfig(state: ProxyState, existing: CaddyConfig | null): CaddyConfig {
  return mergeOwned(existing, renderProxy(state), ownedServerNames(state.server), tlsPolicyId(state.server));
}

describe('renderProxy + mergeOwned golden files', () => {
  const cases = readdirSync(GOLDEN).filter((d) => existsSync(join(GOLDEN, d, 'input.json')));
  it('has the required cases', () => {
    for (const c of [
      'tls-off-two-routes-path-prefix',
      'tls-acme-with-redirect',
      'tls-internal',
      'merge-keeps-user-servers-and-policies',
      'empty-routes',
      'wildcard-and-exact-hosts',
    ]) {
      assert.ok(cases.includes(c), `missing golden case ${c}`);
    }
  });

  for (const name of cases) {
    it(name, () => {
      const dir = join(GOLDEN, name);
      const input = JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')) as {
        state: ProxyState;
        existing?: CaddyConfig;
      };
      const existing = input.existing ?? null;
      const before = JSON.stringify(existing);
      const actual = mergedConfig(input.state, existing);
      assert.equal(JSON.stringify(existing), before, 'mergeOwned mutated its input');
      assert.deepEqual(validateOwned(renderProxy(input.state)), []);
      assert.deepEqual(validateConfig(actual), [], `${name}: Caddy would refuse the merged config`);

      const expectedFile = join(dir, 'expected.json');
      if (UPDATE) writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
      const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as unknown;
      assert.deepEqual(actual, expected, `${name}: rendered config differs (UPDATE_GOLDEN=1 regenerates)`);

      const parsed = parseOwned(actual, input.state.server);
      assert.deepEqual(parsed, { present: true, state: input.state, pristine: true });
    });
  }
});

const STATE: ProxyState = {
  server: 'hiy',
  listen: [':443'],
  redirectListen: [':80'],
  tls: 'internal',
  routes: [
    { resource: 'app/blog', host: 'example.com', path: '/blog', upstream: '127.0.0.1:20002' },
    { resource: 'port/site', host: 'example.com', path: '/', upstream: '127.0.0.1:20001' },
  ],
};

const USER: CaddyConfig = {
  admin: { listen: '127.0.0.1:2019' },
  apps: {
    http: { servers: { mine: { listen: [':8080'], routes: [] } } },
    tls: { automation: { policies: [{ subjects: ['mine.test'], issuers: [{ module: 'internal' }] }] } },
  },
};

/** A JSON round trip, like Caddy's GET after a load. */
function viaCaddy(c: CaddyConfig): CaddyConfig {
  return JSON.parse(JSON.stringify(c)) as CaddyConfig;
}

describe('parseOwned', () => {
  for (const tls of ['off', 'acme', 'internal'] as const) {
    it(`round-trips a ${tls} state merged into a user's config`, () => {
      const state: ProxyState =
        tls === 'off' ? { ...STATE, tls, listen: [':80'], redirectListen: undefined } : { ...STATE, tls };
      if (state.redirectListen === undefined) delete state.redirectListen;
      const parsed = parseOwned(viaCaddy(mergedConfig(state, USER)), 'hiy');
      assert.deepEqual(parsed, { present: true, state, pristine: true });
    });
  }

  it('reports absence, pristine when nothing of HIY is left', () => {
    assert.deepEqual(parseOwned(null, 'hiy'), { present: false, pristine: true });
    assert.deepEqual(parseOwned(USER, 'hiy'), { present: false, pristine: true });
  });

  it('reports absence, not pristine, when only a leftover redirect server or policy exists', () => {
    const full = viaCaddy(mergedConfig(STATE, USER)) as {
      apps: { http: { servers: Record<string, unknown> } };
    };
    delete full.apps.http.servers['hiy'];
    assert.deepEqual(parseOwned(full, 'hiy'), { present: false, pristine: false });
  });

  it('detects a hand-edited route as drift', () => {
    const full = viaCaddy(mergedConfig(STATE, USER));
    const route = (full as any).apps.http.servers.hiy.routes[0];
    route.handle[0].upstreams[0].dial = '127.0.0.1:9999';
    const parsed = parseOwned(full, 'hiy');
    assert.equal(parsed.present, true);
    assert.equal(
      parsed.pristine,
      true,
      'a changed upstream still renders the same shape: it is read as the state',
    );
    assert.equal(parsed.state?.routes[0]?.upstream, '127.0.0.1:9999');

    route.handle.push({ handler: 'static_response', body: 'hi' });
    assert.equal(parseOwned(full, 'hiy').pristine, false);
  });

  it('treats a route without HIY @id as drift and leaves it out of the state', () => {
    const full = viaCaddy(mergedConfig(STATE, USER));
    (full as any).apps.http.servers.hiy.routes.push({ handle: [{ handler: 'static_response' }] });
    const parsed = parseOwned(full, 'hiy');
    assert.equal(parsed.pristine, false);
    assert.deepEqual(parsed.state?.routes, STATE.routes);
  });

  it('treats a removed redirect server, an edited policy or a changed listen as drift', () => {
    const noRedirect = viaCaddy(mergedConfig(STATE, USER));
    delete (noRedirect as any).apps.http.servers['hiy-redirect'];
    const parsedNoRedirect = parseOwned(noRedirect, 'hiy');
    assert.equal(parsedNoRedirect.state?.redirectListen, undefined);
    assert.equal(parsedNoRedirect.pristine, true, 'no redirect server is a valid state of its own');

    const policy = viaCaddy(mergedConfig(STATE, USER));
    (policy as any).apps.tls.automation.policies[0].subjects.push('evil.test');
    assert.equal(parseOwned(policy, 'hiy').pristine, false);

    const extra = viaCaddy(mergedConfig(STATE, USER));
    (extra as any).apps.http.servers.hiy.logs = {};
    assert.equal(parseOwned(extra, 'hiy').pristine, false);
  });
});

describe('mergeOwned', () => {
  it('creates nothing it does not need', () => {
    const owned = renderProxy({ ...STATE, tls: 'acme' });
    const out = mergeOwned({ admin: { listen: 'x' } }, owned, ownedServerNames('hiy'), tlsPolicyId('hiy'));
    assert.equal((out as any).apps.tls, undefined);
    assert.deepEqual((out as any).admin, { listen: 'x' });
  });

  it('removes only HIY servers and policies when HIY owns nothing', () => {
    const full = mergedConfig(STATE, USER);
    const out = mergeOwned(
      full,
      { servers: {}, tlsPolicies: [] },
      ownedServerNames('hiy'),
      tlsPolicyId('hiy'),
    );
    // The local CA keeps install_trust: false (turning it back on would run the trust tools at the next load).
    assert.deepEqual(out, {
      ...USER,
      apps: {
        ...(USER['apps'] as object),
        pki: { certificate_authorities: { local: { install_trust: false } } },
      },
    });
  });

  it("turns the local CA's trust store installation off when TLS is on, keeping its other settings", () => {
    const user: CaddyConfig = {
      apps: { pki: { certificate_authorities: { local: { name: 'Mine', install_trust: true } } } },
    };
    for (const tls of ['acme', 'internal'] as const) {
      const out = mergeOwned(
        user,
        renderProxy({ ...STATE, tls }),
        ownedServerNames('hiy'),
        tlsPolicyId('hiy'),
      );
      assert.deepEqual((out as any).apps.pki.certificate_authorities.local, {
        name: 'Mine',
        install_trust: false,
      });
    }
    const off = renderProxy({ ...STATE, tls: 'off', listen: [':80'] });
    assert.equal(off.noTrustInstall, undefined);
    const out = mergeOwned(null, off, ownedServerNames('hiy'), tlsPolicyId('hiy')) as any;
    assert.equal(out.apps.pki, undefined);
  });

  it('does not share objects with its inputs', () => {
    const owned = renderProxy(STATE);
    const out = mergeOwned(USER, owned, ownedServerNames('hiy'), tlsPolicyId('hiy')) as any;
    out.apps.http.servers.hiy.listen.push(':1');
    out.apps.http.servers.mine.listen.push(':2');
    assert.deepEqual((owned.servers['hiy'] as any).listen, [':443']);
    assert.deepEqual((USER as any).apps.http.servers.mine.listen, [':8080']);
  });
});

describe('rebaseOwned', () => {
  const state = (server: string, host: string): ProxyState => ({
    server,
    listen: [`127.0.0.1:${server === 'hiy-a' ? 8001 : 8002}`],
    tls: 'internal',
    redirectListen: [`127.0.0.1:${server === 'hiy-a' ? 9001 : 9002}`],
    routes: [
      {
        resource: 'port/web',
        host,
        path: '/',
        upstream: '127.0.0.1:20001',
        certificate: { secret: `${server}-cert`, digest: 'd1' },
      },
      { resource: 'port/other', host: `other.${host}`, path: '/', upstream: '127.0.0.1:20002' },
    ],
  });
  const user = { apps: { http: { servers: { mine: { listen: [':7000'], routes: [] } } } } };

  it("takes only the owner's servers, policy and certificates from a stale copy; the rest as it runs now", () => {
    const running = mergedConfig(state('hiy-b', 'b.test'), mergedConfig(state('hiy-a', 'a.test'), user));
    // a's copy was taken before b loaded anything, and a changed its host since.
    const intended = mergedConfig(state('hiy-a', 'a2.test'), user);
    const out = rebaseOwned(running, intended, 'hiy-a');
    assert.deepEqual(parseOwned(out, 'hiy-a'), {
      present: true,
      state: state('hiy-a', 'a2.test'),
      pristine: true,
    });
    assert.deepEqual(parseOwned(out, 'hiy-b'), {
      present: true,
      state: state('hiy-b', 'b.test'),
      pristine: true,
    });
    assert.deepEqual((out as any).apps.http.servers.mine, user.apps.http.servers.mine);
    assert.equal((out as any).apps.pki.certificate_authorities.local.install_trust, false);
    assert.deepEqual(
      running,
      mergedConfig(state('hiy-b', 'b.test'), mergedConfig(state('hiy-a', 'a.test'), user)),
    );
  });

  it("an owner's part removed in its copy is removed, another's kept", () => {
    const running = mergedConfig(state('hiy-b', 'b.test'), mergedConfig(state('hiy-a', 'a.test'), user));
    const intended = mergeOwned(
      user,
      { servers: {}, tlsPolicies: [] },
      ownedServerNames('hiy-a'),
      tlsPolicyId('hiy-a'),
    );
    const out = rebaseOwned(running, intended, 'hiy-a');
    assert.deepEqual(parseOwned(out, 'hiy-a'), { present: false, pristine: true });
    assert.deepEqual(parseOwned(out, 'hiy-b'), {
      present: true,
      state: state('hiy-b', 'b.test'),
      pristine: true,
    });
  });
});

describe('renderProxy', () => {
  it('gives duplicate routes unique ids', () => {
    const r = STATE.routes[1]!;
    const owned = renderProxy({ ...STATE, routes: [r, r] });
    const ids = (owned.servers['hiy'] as any).routes.map((x: any) => x['@id']);
    assert.deepEqual(ids, ['hiy:port/site:example.com/', 'hiy:port/site:example.com/~2']);
  });

  it('percent-encodes unusual characters in ids and still parses them back', () => {
    const state: ProxyState = {
      ...STATE,
      routes: [{ resource: 'app/we:ird', host: 'example.com', path: '/a b', upstream: '127.0.0.1:1' }],
    };
    const owned = renderProxy(state);
    assert.equal((owned.servers['hiy'] as any).routes[0]['@id'], 'hiy:app/we%3Aird:example.com/a%20b');
    assert.deepEqual(parseOwned(mergedConfig(state, null), 'hiy').state, state);
  });
});

describe('a route without upstream (a host only given a certificate)', () => {
  const state: ProxyState = {
    ...STATE,
    tls: 'internal',
    routes: [...STATE.routes, { resource: 'port/mail', host: 'mail.example.com', path: '/', upstream: '' }],
  };

  it('answers 404, is in the issuer policy, validates and parses back pristine', () => {
    const owned = renderProxy(state);
    const route = (owned.servers['hiy'] as any).routes.find(
      (r: any) => r.match[0].host[0] === 'mail.example.com',
    );
    assert.deepEqual(route.handle, [{ handler: 'static_response', status_code: 404 }]);
    assert.ok((owned.tlsPolicies[0] as any).subjects.includes('mail.example.com'));
    assert.deepEqual(validateOwned(owned), []);
    const parsed = parseOwned(viaCaddy(mergedConfig(state, USER)), 'hiy');
    assert.equal(parsed.pristine, true);
    assert.deepEqual(
      parsed.state?.routes.find((r) => r.host === 'mail.example.com'),
      { resource: 'port/mail', host: 'mail.example.com', path: '/', upstream: '' },
    );
  });
});

describe('validateOwned', () => {
  it('accepts what renderProxy makes of a sound state', () => {
    assert.deepEqual(validateOwned(renderProxy(STATE)), []);
  });

  it('catches bad dials, empty hosts and duplicate host+path', () => {
    const bad = (upstream: string) => ({ resource: 'port/x' as const, host: 'x.test', path: '/', upstream });
    for (const dial of [
      'nope',
      '127.0.0.1',
      '127.0.0.1:0',
      '127.0.0.1:65536',
      ':80',
      'a b:80',
      '127.0.0.1:http',
    ]) {
      const errors = validateOwned(renderProxy({ ...STATE, routes: [bad(dial)] }));
      assert.equal(errors.length, 1, `dial ${dial}: ${errors.join('; ')}`);
      assert.match(errors[0]!, /is not host:port/);
    }
    assert.deepEqual(validateOwned(renderProxy({ ...STATE, routes: [bad('[::1]:8080')] })), []);

    const emptyHost = validateOwned(renderProxy({ ...STATE, routes: [{ ...bad('127.0.0.1:1'), host: '' }] }));
    assert.match(emptyHost.join(), /empty host/);

    const dup = validateOwned(renderProxy({ ...STATE, routes: [bad('127.0.0.1:1'), bad('127.0.0.1:2')] }));
    assert.match(dup.join(), /duplicate host and path/);
  });
});

describe('validateConfig', () => {
  const servers = (s: Record<string, string[]>) => ({
    apps: {
      http: {
        servers: Object.fromEntries(Object.entries(s).map(([n, listen]) => [n, { listen, routes: [] }])),
      },
    },
  });

  it('accepts distinct listener addresses, unix sockets and a config without servers', () => {
    assert.deepEqual(validateConfig(null), []);
    assert.deepEqual(validateConfig({ admin: { listen: '127.0.0.1:2019' } }), []);
    assert.deepEqual(
      validateConfig(
        servers({
          a: [':80', '127.0.0.1:8080'],
          b: ['127.0.0.2:80', 'udp/:80', ':8081-8089'],
          c: ['unix//run/x.sock'],
        }),
      ),
      [],
    );
  });

  it('names a listener address claimed twice, across servers, ranges and within one server', () => {
    assert.deepEqual(validateConfig(servers({ hiy: [':80'], mine: ['tcp/:80'] })), [
      "server mine: listener address tcp/:80 is already claimed by server 'hiy'",
    ]);
    assert.deepEqual(validateConfig(servers({ mine: [':8000-8100'], hiy: [':8080'] })), [
      "server hiy: listener address tcp/:8080 is already claimed by server 'mine'",
    ]);
    assert.deepEqual(validateConfig(servers({ hiy: [':80', ':80'] })), [
      "server hiy: listener address tcp/:80 is already claimed by server 'hiy'",
    ]);
  });

  it('names a listener port out of range', () => {
    assert.deepEqual(validateConfig(servers({ hiy: ['127.0.0.1:99999', ':90-80'] })), [
      'server hiy: invalid listener address "127.0.0.1:99999" (port out of range)',
      'server hiy: invalid listener address ":90-80" (port out of range)',
    ]);
  });

  it('names a host that two TLS automation policies cover', () => {
    const config = {
      apps: {
        tls: {
          automation: {
            policies: [
              {
                '@id': 'hiy-tls-internal',
                subjects: ['a.test', 'b.test'],
                issuers: [{ module: 'internal' }],
              },
              { subjects: ['c.test'] },
              { subjects: ['b.test'] },
              { issuers: [{ module: 'acme' }] },
            ],
          },
        },
      },
    };
    assert.deepEqual(validateConfig(config), ['TLS automation policy 2: host b.test already has policy 0']);
  });
});

describe('renderProxy route order', () => {
  it('renders the most specific route first whatever the order of the state, and reads it back so', () => {
    const input = JSON.parse(
      readFileSync(join(GOLDEN, 'wildcard-and-exact-hosts', 'input.json'), 'utf8'),
    ) as { state: ProxyState };
    const shuffled: ProxyState = { ...input.state, routes: [...input.state.routes].reverse() };
    const ids = (s: ProxyState) => (renderProxy(s).servers[s.server] as any).routes.map((r: any) => r['@id']);
    assert.deepEqual(ids(shuffled), ids(input.state));
    assert.deepEqual(ids(shuffled), [
      'hiy-t1:port/api:api.example.test/v2',
      'hiy-t1:port/api:api.example.test/',
      'hiy-t1:port/a-catchall:*.deep.example.test/',
      'hiy-t1:port/a-catchall:*.example.test/static',
      'hiy-t1:port/a-catchall:*.example.test/',
    ]);
  });

  it('a config whose routes are out of match order (an older HIY) does not read back pristine', () => {
    const state: ProxyState = {
      server: 'hiy',
      listen: [':80'],
      tls: 'off',
      routes: [
        { resource: 'port/wild', host: '*.example.test', path: '/', upstream: '127.0.0.1:1' },
        { resource: 'port/other', host: 'other.example.test', path: '/', upstream: '127.0.0.1:2' },
      ],
    };
    const config = mergedConfig(state, null) as any;
    config.apps.http.servers.hiy.routes.reverse();
    const parsed = parseOwned(config, 'hiy');
    assert.equal(parsed.pristine, false);
    assert.deepEqual(
      parsed.state?.routes.map((r) => r.host),
      ['*.example.test', 'other.example.test'],
    );
  });
});
