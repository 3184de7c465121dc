// A Port whose port declares a reload hook: a renewed certificate is a `certificate.reload` of the running
// container (kept, same id), not a replace; the folder mounted (pending → issued, another issuer) still replaces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerInfo } from '../../../src/model/containers.js';
import type { HostCertificate } from '../../../src/model/routing.js';
import type { ServedCertificate } from '../../../src/model/status.js';
import type { DesiredWorkload } from '../../../src/model/workload.js';
import { plan } from '../../../src/plan/plan.js';
import { renderPlan } from '../../../src/plan/render.js';
import type { CertificateReload, Plan } from '../../../src/plan/types.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const HOST = 'mail.example.org';
const INTERNAL = { ...SETTINGS, tls: 'internal' as const };
const RELOAD = ['/usr/local/lib/hiy/reload'];
const cert = (digest: string, issuer = 'local'): HostCertificate => ({
  dir: `/caddy/certificates/${issuer}/${HOST}`,
  certFile: `${HOST}.crt`,
  keyFile: `${HOST}.key`,
  digest,
});
const A = 'aaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbb';

function mail(spec: Record<string, unknown> = {}, reload: string[] | null = RELOAD): DesiredWorkload {
  const w = port('mail', { env: { DOMAIN: 'example.org' }, tls: { certificateFor: HOST }, ...spec });
  return {
    ...w,
    port: { name: 'email', version: '1.2.0', dataVersion: 1, hooks: reload ? { reload } : {} },
  };
}

function planWith(opts: {
  certificate?: HostCertificate;
  observed?: ReturnType<typeof emptyObserved>;
  served?: ServedCertificate;
  workload?: DesiredWorkload;
}): Plan {
  return plan({
    desired: desired([opts.workload ?? mail()]),
    observed: opts.observed ?? emptyObserved(),
    observedFingerprint: 'fp',
    settings: INTERNAL,
    history: {
      hostCertificates: opts.certificate ? { [HOST]: opts.certificate } : {},
      ...(opts.served && { servedCertificates: { 'port/mail': opts.served } }),
    },
  });
}

const containerActions = (p: Plan) =>
  p.actions.filter((a) => a.kind.startsWith('container.') || a.kind === 'certificate.reload');
const only = (p: Plan) => containerActions(p).map((a) => a.kind);
const mailContainer = (p: ReturnType<typeof emptyObserved>): ContainerInfo =>
  p.containers.find((c) => c.labels['hiy.resource'] === 'port/mail')!;

describe('a renewed certificate with a reload hook', () => {
  it('starts the container with the folder mounted, the digest in a label and not in the spec', () => {
    const p = planWith({ certificate: cert(A) });
    const create = p.actions.find((a) => a.kind === 'container.create');
    assert.ok(create && create.kind === 'container.create');
    assert.equal(create.run.labels['hiy.certificate'], `sha256:${A}`);
    assert.deepEqual(JSON.parse(create.run.labels['hiy.spec']!).certificate, {
      folder: `/caddy/certificates/local/${HOST}`,
      host: HOST,
    });
    assert.deepEqual(create.run.volumes, [
      { source: `/caddy/certificates/local/${HOST}`, target: '/run/hiy-certificate', readOnly: true },
    ]);
    assert.equal(create.run.env.TLS_CERT_FILE, `/run/hiy-certificate/${HOST}.crt`);
  });

  it('is one certificate.reload of the running container, shown as an update in place', () => {
    const observed = observedAfter(planWith({ certificate: cert(A) }));
    const p = planWith({ certificate: cert(B), observed });
    assert.deepEqual(only(p), ['certificate.reload']);
    const reload = p.actions.find((a) => a.kind === 'certificate.reload') as CertificateReload;
    const running = mailContainer(observed);
    assert.equal(reload.change, 'update');
    assert.equal(reload.address, `certificate/${running.name}`);
    assert.deepEqual(reload.container, { name: running.name, id: running.id, stopTimeoutSeconds: 10 });
    assert.equal(reload.host, HOST);
    assert.equal(reload.digest, `sha256:${B}`);
    assert.deepEqual(reload.reload, { command: RELOAD, port: 'port email 1.2.0' });
    assert.deepEqual(reload.before, { host: HOST, digest: `sha256:${A}` });
    assert.deepEqual(reload.after, { host: HOST, digest: `sha256:${B}` });
    assert.deepEqual(p.summary, { create: 0, update: 1, replace: 0, delete: 0 });
    const text = renderPlan(p);
    assert.match(text, /# certificate\/\S+ will be updated in place/);
    assert.match(text, / {2}~ certificate of mail\.example\.org in container \S+ \(port\/mail\), reloaded/);
    assert.match(text, /~ \/digest: "sha256:a+" → "sha256:b+"/);
  });

  it('plans nothing once the reload is recorded for this container, and again when Caddy renews', () => {
    const observed = observedAfter(planWith({ certificate: cert(A) }));
    const id = mailContainer(observed).id;
    const done = planWith({
      certificate: cert(B),
      observed,
      served: { container: id, digest: `sha256:${B}` },
    });
    assert.deepEqual(done.actions, []);
    const again = planWith({
      certificate: cert('cccccccccccccccc'),
      observed,
      served: { container: id, digest: `sha256:${B}` },
    });
    assert.deepEqual(only(again), ['certificate.reload']);
    assert.deepEqual((again.actions[0] as CertificateReload).before, { host: HOST, digest: `sha256:${B}` });
  });

  it('ignores a reload recorded for another container (a replaced one): the label says what this one serves', () => {
    const observed = observedAfter(planWith({ certificate: cert(A) }));
    const stale = { container: 'an-older-container', digest: `sha256:${B}` };
    assert.deepEqual(planWith({ certificate: cert(A), observed, served: stale }).actions, []);
    assert.deepEqual(only(planWith({ certificate: cert(B), observed, served: stale })), [
      'certificate.reload',
    ]);
  });

  it('the first issuance mounts the folder: a replace (there was nothing to reload)', () => {
    const pending = planWith({});
    const create = pending.actions.find((a) => a.kind === 'container.create');
    assert.ok(create && create.kind === 'container.create');
    assert.equal(create.run.labels['hiy.certificate'], undefined);
    assert.deepEqual(JSON.parse(create.run.labels['hiy.spec']!).certificate, {
      folder: 'pending',
      host: HOST,
    });
    const issued = planWith({ certificate: cert(A), observed: observedAfter(pending) });
    assert.deepEqual(only(issued), ['container.replace']);
    const replace = issued.actions.find((a) => a.kind === 'container.replace');
    assert.ok(replace && replace.kind === 'container.replace');
    assert.match(replace.reason, /certificate\.folder/);
    assert.equal(replace.run.labels['hiy.certificate'], `sha256:${A}`);
  });

  it('a certificate of another issuer (another folder) replaces the container', () => {
    const observed = observedAfter(planWith({ certificate: cert(A) }));
    assert.deepEqual(only(planWith({ certificate: cert(B, 'acme.example-directory'), observed })), [
      'container.replace',
    ]);
  });

  it('a replace for another change takes the renewed files with it: no reload besides', () => {
    const observed = observedAfter(planWith({ certificate: cert(A) }));
    const changed = mail({ env: { DOMAIN: 'example.net' } });
    const p = planWith({ certificate: cert(B), observed, workload: changed });
    assert.deepEqual(only(p), ['container.replace']);
  });

  it('a stopped container is started (it reads the files as they are): no reload of a stopped one', () => {
    const observed = observedAfter(planWith({ certificate: cert(A) }));
    const stopped = {
      ...observed,
      containers: observed.containers.map((c) => ({ ...c, state: 'exited' as const })),
    };
    assert.deepEqual(only(planWith({ certificate: cert(B), observed: stopped })), ['container.start']);
  });

  it('without a reload hook a renewal still replaces the container, and the spec holds the digest', () => {
    const plain = mail({}, null);
    const first = planWith({ certificate: cert(A), workload: plain });
    const create = first.actions.find((a) => a.kind === 'container.create');
    assert.ok(create && create.kind === 'container.create');
    assert.equal(create.run.labels['hiy.certificate'], undefined);
    assert.deepEqual(JSON.parse(create.run.labels['hiy.spec']!).certificate, {
      host: HOST,
      digest: `sha256:${A}`,
    });
    const renewed = planWith({ certificate: cert(B), observed: observedAfter(first), workload: plain });
    assert.deepEqual(only(renewed), ['container.replace']);
  });
});
