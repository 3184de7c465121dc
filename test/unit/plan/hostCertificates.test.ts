// A Port's tls.certificateFor in plans: Caddy is made to hold the host's certificate, the container gets its
// folder read-only with TLS_CERT_FILE/TLS_KEY_FILE, and a renewed certificate replaces the container.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PortResource } from '../../../src/model/resources.js';
import type { HostCertificate } from '../../../src/model/routing.js';
import { plan } from '../../../src/plan/plan.js';
import { renderPlan } from '../../../src/plan/render.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const HOST = 'mail.example.org';
const INTERNAL = { ...SETTINGS, tls: 'internal' as const };
const cert = (digest: string): HostCertificate => ({
  dir: `/caddy/certificates/local/${HOST}`,
  certFile: `${HOST}.crt`,
  keyFile: `${HOST}.key`,
  digest,
});
const mail = (spec: Record<string, unknown> = {}) =>
  port('mail', { env: { DOMAIN: 'example.org' }, tls: { certificateFor: HOST }, ...spec });

function planWith(opts: {
  certificate?: HostCertificate;
  observed?: ReturnType<typeof emptyObserved>;
  settings?: typeof SETTINGS;
  workloads?: ReturnType<typeof port>[];
}) {
  return plan({
    desired: desired(opts.workloads ?? [mail()]),
    observed: opts.observed ?? emptyObserved(),
    observedFingerprint: 'fp',
    settings: opts.settings ?? INTERNAL,
    history: { hostCertificates: opts.certificate ? { [HOST]: opts.certificate } : {} },
  });
}

describe("a Port's tls.certificateFor", () => {
  it('mounts the folder Caddy holds read-only and names the files in TLS_CERT_FILE and TLS_KEY_FILE', () => {
    const p = planWith({ certificate: cert('aaaaaaaaaaaaaaaa') });
    const create = p.actions.find((a) => a.kind === 'container.create');
    assert.ok(create && create.kind === 'container.create');
    assert.equal(create.run.env.TLS_CERT_FILE, `/run/hiy-certificate/${HOST}.crt`);
    assert.equal(create.run.env.TLS_KEY_FILE, `/run/hiy-certificate/${HOST}.key`);
    assert.equal(create.run.env.DOMAIN, 'example.org');
    assert.deepEqual(create.run.volumes, [
      { source: `/caddy/certificates/local/${HOST}`, target: '/run/hiy-certificate', readOnly: true },
    ]);
    assert.deepEqual(JSON.parse(create.run.labels['hiy.spec']!).certificate, {
      host: HOST,
      digest: 'sha256:aaaaaaaaaaaaaaaa',
    });
  });

  it('gives Caddy the host as a route without upstream, unless a route already serves it', () => {
    const p = planWith({});
    assert.deepEqual(
      p.proxy.routes.filter((r) => r.host === HOST),
      [{ resource: 'port/mail', host: HOST, path: '/', upstream: '' }],
    );
    assert.match(renderPlan(p), /mail\.example\.org\/ → \(certificate only\)/);
    const routed = planWith({ workloads: [mail({ routes: [{ host: HOST, port: 80 }] })] });
    const routes = routed.proxy.routes.filter((r) => r.host === HOST);
    assert.equal(routes.length, 1);
    assert.notEqual(routes[0]!.upstream, '');
    const off = planWith({ settings: SETTINGS });
    assert.deepEqual(off.proxy.routes, [], 'HIY_TLS=off: no certificate to hold');
  });

  it('before Caddy has issued one the port runs without it; the issued one replaces the container', () => {
    const pending = planWith({});
    const create = pending.actions.find((a) => a.kind === 'container.create');
    assert.ok(create && create.kind === 'container.create');
    assert.equal(create.run.env.TLS_CERT_FILE, undefined);
    assert.deepEqual(create.run.volumes, []);
    assert.deepEqual(JSON.parse(create.run.labels['hiy.spec']!).certificate, {
      host: HOST,
      digest: 'pending',
    });

    const observed = observedAfter(pending);
    const issued = planWith({ certificate: cert('aaaaaaaaaaaaaaaa'), observed });
    const replace = issued.actions.find((a) => a.kind === 'container.replace');
    assert.ok(replace, JSON.stringify(issued.actions.map((a) => a.kind)));
    assert.match(replace.reason, /certificate/);
  });

  it('an unchanged certificate plans nothing; a renewed one replaces the container', () => {
    const first = planWith({ certificate: cert('aaaaaaaaaaaaaaaa') });
    const observed = observedAfter(first);
    const same = planWith({ certificate: cert('aaaaaaaaaaaaaaaa'), observed });
    assert.deepEqual(
      same.actions.filter((a) => a.kind.startsWith('container.')),
      [],
    );
    const renewed = planWith({ certificate: cert('bbbbbbbbbbbbbbbb'), observed });
    assert.deepEqual(
      renewed.actions.filter((a) => a.kind.startsWith('container.')).map((a) => a.kind),
      ['container.replace'],
    );
  });

  it('is part of the spec hash, and absent from a workload without it', () => {
    const plain = port('mail', { env: { DOMAIN: 'example.org' } });
    assert.equal(plain.certificateFor, undefined);
    assert.notEqual(mail().specHash, plain.specHash);
    assert.ok(!('certificate' in JSON.parse(JSON.stringify(plain))));
  });

  it('refuses a wildcard or a name that is not a host, at the field', () => {
    const parse = (certificateFor: string) =>
      PortResource.safeParse({
        apiVersion: 'hiy/v1',
        kind: 'Port',
        metadata: { name: 'mail' },
        spec: { image: 'x', tls: { certificateFor } },
      });
    const wildcard = parse('*.example.org');
    assert.equal(wildcard.success, false);
    assert.deepEqual(wildcard.error!.issues[0]!.path, ['spec', 'tls', 'certificateFor']);
    assert.match(wildcard.error!.issues[0]!.message, /not a wildcard/);
    assert.equal(parse('not a host').success, false);
    assert.equal(parse('mail.example.org').success, true);
  });
});
