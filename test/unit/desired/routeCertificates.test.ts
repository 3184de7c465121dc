// Brought certificates are judged before anything changes: every problem at once, none of the PEM in a message.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadDesiredFromFiles } from '../../../src/desired/load.js';
import { bundleProblems, checkRouteCertificates } from '../../../src/desired/routeCertificates.js';
import { port } from '../../support/fixtures.js';

const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'certificates');
const pem = (name: string) => readFileSync(join(dir, name), 'utf8');
const site = pem('site.pem');
const leaf = new X509Certificate(site.slice(site.indexOf('-----BEGIN')));
const from = new Date(leaf.validFrom).getTime();
const to = new Date(leaf.validTo).getTime();
const DAY = 24 * 3600 * 1000;
const during = new Date(from + DAY);

describe('bundleProblems', () => {
  it('accepts a chain and its key for a host the leaf names (text around the blocks is ignored)', () => {
    assert.deepEqual(bundleProblems(site, 'site.example.test', during), []);
    assert.deepEqual(bundleProblems(site, 'www.example.test', during), []);
  });

  it('names every problem at once: no certificate, no key', () => {
    assert.deepEqual(
      bundleProblems('hello', 'site.example.test', during).map(([s, m]) => `${s}: ${m}`),
      [
        'error: holds no certificate (no BEGIN CERTIFICATE block)',
        'error: holds no private key (no BEGIN … PRIVATE KEY block)',
      ],
    );
  });

  it("refuses a key that is not the leaf's and a host the leaf does not cover, together", () => {
    const got = bundleProblems(pem('site-wrong-key.pem'), 'other.example.test', during).map(([, m]) => m);
    assert.equal(got.length, 2);
    assert.match(got[0]!, /private key that is not the certificate's/);
    assert.match(
      got[1]!,
      /does not cover other\.example\.test \(DNS:site\.example\.test, DNS:www\.example\.test\)/,
    );
  });

  it('refuses an expired or not yet valid certificate; warns within 14 days of expiry', () => {
    assert.match(bundleProblems(site, 'site.example.test', new Date(to + DAY))[0]![1], /^expired on /);
    assert.match(
      bundleProblems(site, 'site.example.test', new Date(from - DAY))[0]![1],
      /^is not valid before /,
    );
    const soon = bundleProblems(site, 'site.example.test', new Date(to - 5 * DAY));
    assert.deepEqual(soon[0]![0], 'warning');
    assert.match(soon[0]![1], /^expires within 14 days/);
    assert.deepEqual(bundleProblems(site, 'site.example.test', new Date(to - 15 * DAY)), []);
  });

  it('a wildcard covers one label below it; a wildcard route needs the same wildcard', () => {
    const wild = pem('wild.pem');
    assert.deepEqual(bundleProblems(wild, 'blog.apps.example.test', during), []);
    assert.deepEqual(bundleProblems(wild, '*.apps.example.test', during), []);
    assert.equal(bundleProblems(wild, 'a.b.apps.example.test', during).length, 1);
    assert.equal(bundleProblems(site, '*.example.test', during).length, 1);
  });

  it('never quotes the PEM', () => {
    for (const [, m] of bundleProblems(pem('site-wrong-key.pem'), 'x.test', new Date(to + DAY)))
      assert.doesNotMatch(m, /BEGIN|MII/);
  });
});

describe('checkRouteCertificates', () => {
  const source = (values: Record<string, string>) => ({ value: async (n: string) => values[n] });
  const route = (host: string, certificate: string) => ({ host, port: 8080, tls: { certificate } });

  it('checks each route against its own host; a secret not set is left to the secret check', async () => {
    const w = port('web', { routes: [route('site.example.test', 'a'), route('nope.example.test', 'a')] });
    const other = port('other', { routes: [route('x.example.test', 'missing')] });
    const ds = await checkRouteCertificates([w, other], [], source({ a: site }), during);
    assert.deepEqual(
      ds.map((d) => [d.resource, d.path, d.severity]),
      [['port/web', 'spec.routes[1].tls.certificate', 'error']],
    );
    assert.match(ds[0]!.summary, /^certificate secret "a" does not cover nope\.example\.test/);
    assert.match(ds[0]!.detail ?? '', /hiy secret set a < bundle\.pem/);
  });

  it('one host, one certificate: two routes of a host naming different secrets are refused', async () => {
    const a = port('a', { routes: [route('site.example.test', 'one')] });
    const b = port('b', { routes: [{ ...route('site.example.test', 'two'), path: '/api' }] });
    const ds = await checkRouteCertificates([a, b], [], source({ one: site, two: site }), during);
    assert.equal(ds.length, 1);
    assert.match(ds[0]!.summary, /host site\.example\.test already has certificate "one" \(port\/a\)/);
    assert.equal(ds[0]!.resource, 'port/b');
  });

  it("places each problem at its own resource's route, among many resources", async () => {
    const doc = (i: number, host: string) =>
      `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: svc-${i}\nspec:\n  image: x\n  routes:\n    - host: ${host}\n      path: /s${i}\n      port: 8080\n      tls: { certificate: a }\n---\n`;
    const text = Array.from({ length: 50 }, (_, i) =>
      doc(i, i === 37 ? 'nope.example.test' : 'site.example.test'),
    );
    const loaded = await loadDesiredFromFiles([{ path: 'ports.yaml', text: text.join('') }], {
      settings: { stateRepo: '/nowhere', branch: 'main', instance: 't' },
      git: {} as never,
    });
    const { workloads, resources } = loaded.state!;
    const ds = await checkRouteCertificates(workloads, resources, source({ a: site }), during);
    assert.deepEqual(
      ds.map((d) => [d.resource, d.file, d.line, d.column]),
      // Document 37 starts at line 37 × 12 + 1; its `tls` is its 11th line, the secret's name at column 27.
      [['port/svc-37', 'ports.yaml', 37 * 12 + 11, 27]],
    );
  });

  it('with HIY_TLS=off a brought certificate is checked and named as not served (a warning)', async () => {
    const w = port('web', { routes: [route('site.example.test', 'a')] });
    const ds = await checkRouteCertificates([w], [], source({ a: site }), during, 'off');
    assert.deepEqual(
      ds.map((d) => [d.severity, d.summary]),
      [['warning', 'certificate "a" is not served: HIY_TLS is off (plain HTTP only)']],
    );
  });
});
