// Brought certificates in Caddy's config: rendered without PEM, merged beside everyone else's, read back pristine;
// the client's PEM goes in on load only when the secret is still the one planned, and out again on read.
// biome-ignore-all lint/suspicious/noExplicitAny: these tests poke into untyped Caddy JSON on purpose
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withCertificatePem, withoutCertificatePem } from '../../../../src/drivers/caddy/certificatePem.js';
import {
  mergeOwned,
  ownedServerNames,
  parseOwned,
  renderProxy,
  tlsPolicyId,
} from '../../../../src/drivers/caddy/render.js';
import type { CaddyConfig } from '../../../../src/drivers/caddy/types.js';
import type { ProxyState } from '../../../../src/model/routing.js';

const PEM =
  '-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n';
const state: ProxyState = {
  server: 'hiy-box',
  listen: [':443'],
  redirectListen: [':80'],
  tls: 'internal',
  routes: [
    {
      resource: 'port/web' as never,
      host: 'site.example.test',
      path: '/',
      upstream: '127.0.0.1:20000',
      certificate: { secret: 'site-cert', digest: 'd1' },
    },
    { resource: 'port/blog' as never, host: 'blog.example.test', path: '/', upstream: '127.0.0.1:20001' },
  ],
};
const merge = (full: CaddyConfig | null, s: ProxyState) =>
  mergeOwned(full, renderProxy(s), ownedServerNames(s.server), tlsPolicyId(s.server));
const foreign = { certificate: 'theirs', key: 'theirs', tags: ['other:certificate:x:y'] };

describe('load_pem entries HIY owns', () => {
  it('renders one entry per certificate, without PEM, and leaves the host out of the issuer policy', () => {
    const c = merge(null, state) as any;
    assert.deepEqual(c.apps.tls.certificates.load_pem, [
      { tags: ['hiy-box:certificate:site-cert:d1', 'host:site.example.test'] },
    ]);
    assert.deepEqual(c.apps.tls.automation.policies[0].subjects, ['blog.example.test']);
    const parsed = parseOwned(c, 'hiy-box');
    assert.equal(parsed.pristine, true);
    assert.deepEqual(parsed.state?.routes.find((r) => r.host === 'site.example.test')?.certificate, {
      secret: 'site-cert',
      digest: 'd1',
    });
  });

  it("keeps other owners' entries; a certificate dropped (or TLS off) removes only HIY's", () => {
    const withForeign = { apps: { tls: { certificates: { load_pem: [foreign] } } } };
    const c = merge(withForeign, state) as any;
    assert.equal(c.apps.tls.certificates.load_pem.length, 2);
    const off = merge(c, {
      ...state,
      tls: 'off',
      listen: [':80'],
      redirectListen: undefined,
    } as ProxyState) as any;
    assert.deepEqual(off.apps.tls.certificates.load_pem, [foreign]);
    const none = merge(merge(null, state), { ...state, routes: [state.routes[1]!] }) as any;
    assert.equal(none.apps.tls.certificates.load_pem, undefined);
  });

  it('the digest read back is what the routes carry (a replaced secret is a route change)', () => {
    const c = merge(null, state) as any;
    c.apps.tls.certificates.load_pem[0].tags[0] = 'hiy-box:certificate:site-cert:d2';
    const parsed = parseOwned(c, 'hiy-box');
    assert.equal(parsed.state?.routes.find((r) => r.host === 'site.example.test')?.certificate?.digest, 'd2');
  });
});

describe('the PEM on its way to Caddy and back', () => {
  const source = (value: string | undefined, digest = 'd1') => ({
    value: async () => value,
    digest: async () => digest,
  });

  it('fills chain and key from the secret, and strips them (only HIY’s) from a read', async () => {
    const c = merge({ apps: { tls: { certificates: { load_pem: [foreign] } } } }, state);
    const sent = (await withCertificatePem(c, 'hiy-box', source(PEM))) as any;
    const mine = sent.apps.tls.certificates.load_pem[0];
    assert.equal(mine.certificate, '-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----\n');
    assert.equal(mine.key, '-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n');
    assert.equal((c as any).apps.tls.certificates.load_pem[0].key, undefined, 'input not mutated');
    const back = withoutCertificatePem(sent, 'hiy-box') as any;
    assert.deepEqual(back.apps.tls.certificates.load_pem, [
      { tags: ['hiy-box:certificate:site-cert:d1', 'host:site.example.test'] },
      foreign,
    ]);
    assert.equal(parseOwned(back, 'hiy-box').pristine, true);
  });

  it('refuses a secret replaced since the plan, or gone, naming it and nothing of its value', async () => {
    const c = merge(null, state);
    await assert.rejects(withCertificatePem(c, 'hiy-box', source(PEM, 'other')), (err: Error) => {
      assert.match(err.message, /certificate secret "site-cert" changed since the plan was made/);
      assert.doesNotMatch(err.message, /BEGIN/);
      return true;
    });
    await assert.rejects(withCertificatePem(c, 'hiy-box', source(undefined)), /"site-cert" is not set/);
  });
});
