// hiy export kube, pure: golden manifests per resource shape, every one valid against the Kubernetes schemas,
// deterministic, and warnings for what Kubernetes cannot say.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { LocatedResource } from '../../../src/desired/types.js';
import { kubeSchedule } from '../../../src/export/cronJobs.js';
import { exportKube } from '../../../src/export/kube.js';
import { secretObjectName } from '../../../src/export/names.js';
import { cpuQuantity, memoryQuantity } from '../../../src/export/podSpec.js';
import type { KubeExportInput, KubeObject } from '../../../src/export/types.js';
import { schemaProblems } from '../../../src/export/validate.js';
import { objectNames } from '../../../src/model/names.js';
import { AppResource, PortResource } from '../../../src/model/resources.js';
import { type DesiredWorkload, toDesiredWorkload } from '../../../src/model/workload.js';

const GOLDEN = join(import.meta.dirname, 'golden');
const COMMIT = 'c0ffee'.padEnd(40, '0');
const names = objectNames('default');

/** Compares every file of the export with test/unit/export/golden/CASE/; a missing golden fails. */
function golden(name: string, files: { path: string; text: string }[]): void {
  for (const f of files) {
    const file = join(GOLDEN, name, f.path);
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, f.text);
    }
    assert.ok(existsSync(file), `golden ${name}/${f.path} is missing; run with UPDATE_GOLDEN=1 to write it`);
    assert.equal(
      f.text,
      readFileSync(file, 'utf8'),
      `golden ${name}/${f.path} differs; UPDATE_GOLDEN=1 accepts`,
    );
  }
}

function located(resource: PortResource | AppResource): LocatedResource {
  return { resource, file: `${resource.metadata.name}.yaml`, line: 1, column: 1 };
}

function portOf(name: string, spec: Record<string, unknown>) {
  const resource = PortResource.parse({ apiVersion: 'hiy/v1', kind: 'Port', metadata: { name }, spec });
  return { resource, workload: toDesiredWorkload(resource, { names }) };
}

function appOf(name: string, spec: Record<string, unknown>) {
  const resource = AppResource.parse({
    apiVersion: 'hiy/v1',
    kind: 'App',
    metadata: { name },
    spec: { source: { git: `/srv/${name}` }, ...spec },
  });
  const build = { gitDir: `/srv/${name}`, branch: 'main', commit: 'a'.repeat(40), context: '.' };
  return { resource, workload: toDesiredWorkload(resource, { names, build }) };
}

function input(
  items: { resource: PortResource | AppResource; workload: DesiredWorkload }[],
  extra: Partial<KubeExportInput> = {},
): KubeExportInput {
  return {
    commit: COMMIT,
    resources: items.map((i) => located(i.resource)),
    workloads: items.map((i) => i.workload),
    tls: 'off',
    timeZone: 'Europe/Berlin',
    ...extra,
  };
}

/** The postgres-like port a web App links to: its DATABASE_URL is a link secret. */
function linkedPair() {
  const db = portOf('db', {
    image: 'registry.example.com/postgres:15',
    secretEnv: { POSTGRES_PASSWORD: 'hiy.generated.db.POSTGRES_PASSWORD' },
    volumes: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
    expose: [5432],
    healthcheck: { tcp: { port: 5432 }, interval: '2s', timeout: '60s' },
    jobs: [{ name: 'vacuum', schedule: '15 4 * * *', command: ['vacuumdb', '--all'], timeout: '30m' }],
  });
  const web = appOf('web', {
    env: { GREETING: 'hi' },
    secretEnv: { DATABASE_URL: 'hiy.link.web.DATABASE_URL' },
    links: ['port/db'],
    routes: [{ host: 'web.example.com', port: 3000 }],
    healthcheck: { http: { path: '/healthz', port: 3000 }, interval: '5s', timeout: '1m' },
    resources: { memory: '256Mi', cpus: 0.5 },
  });
  web.workload.links = { db: 'port/db' };
  return [db, web];
}

function objectsOf(files: { path: string; text: string }[]): KubeObject[] {
  return files
    .filter((f) => f.path.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(f.text).map((d) => d.toJS() as KubeObject));
}

describe('exportKube', () => {
  it('a linked App and Port: Deployments, claims, Services, an Ingress, policies from links, a CronJob', () => {
    const result = exportKube(input(linkedPair()));
    golden('linked', result.files);
    assert.deepEqual(schemaProblems(objectsOf(result.files)), []);
    assert.deepEqual(schemaProblems(result.manifests), []);
    const policy = result.manifests.find((m) => m.metadata.name === 'db-from-links');
    assert.ok(policy, 'the link target admits its linkers');
    assert.match(JSON.stringify(policy), /"values":\["app.web"\]/);
  });

  it('TLS modes map to cert-manager issuers; off asks for no certificate', () => {
    for (const tls of ['acme', 'internal', 'off'] as const) {
      const result = exportKube(input(linkedPair(), { tls }));
      const ingress = result.files.find((f) => f.path === 'ingresses.yaml')!;
      golden(`tls-${tls}`, [ingress]);
    }
    const custom = exportKube(input(linkedPair(), { tls: 'acme', clusterIssuer: 'my-issuer' }));
    assert.match(custom.files.find((f) => f.path === 'ingresses.yaml')!.text, /cluster-issuer: my-issuer/);
  });

  it('secret values only when asked: Secrets with base64 values and Podman secret files, mode 600', () => {
    const without = exportKube(input(linkedPair()));
    assert.ok(!without.files.some((f) => f.path === 'secrets.yaml' || f.path.startsWith('podman/secrets/')));
    assert.ok(!JSON.stringify(without.files).includes('pa55'));
    const values = new Map([
      ['hiy.generated.db.POSTGRES_PASSWORD', 'pa55'],
      ['hiy.link.web.DATABASE_URL', 'postgres://app:pa55@db/app'],
    ]);
    const withValues = exportKube(input(linkedPair(), { secretValues: values }));
    const secrets = withValues.files.find((f) => f.path === 'secrets.yaml')!;
    assert.equal(secrets.mode, 0o600);
    assert.match(secrets.text, new RegExp(Buffer.from('pa55').toString('base64')));
    const podman = withValues.files.filter((f) => f.path.startsWith('podman/secrets/'));
    assert.equal(podman.length, 2);
    assert.ok(podman.every((f) => f.mode === 0o600));
    assert.deepEqual(schemaProblems(withValues.manifests), []);
  });

  it('published ports, limits and data: hostPorts, podman variant without unpublished ports, play.sh loads data', () => {
    const mail = portOf('mail', {
      image: 'localhost/hiy-ports/email:1.0.0',
      ports: [{ containerPort: 25, hostPort: 2525, hostIP: '127.0.0.1' }],
      routes: [{ host: 'mail.example.com', port: 8080 }],
      volumes: [{ name: 'vmail', mountPath: '/var/mail', readOnly: false }],
      restart: 'on-failure',
      jobs: [{ name: 'tick', schedule: '30 */5 * * * *', command: ['true'] }],
    });
    const data = new Map([
      [
        'mail-vmail',
        {
          claim: 'mail-vmail',
          file: 'data/mail-vmail.tar',
          sha256: 'ab'.repeat(32),
          bytes: 3 * 1024 ** 3,
          files: 12,
          snapshotId: '20261207T010203Z-abcdef',
        },
      ],
    ]);
    const result = exportKube(input([mail], { data }));
    golden('published', result.files);
    assert.deepEqual(schemaProblems(result.manifests), []);
    const fields = result.warnings.map((w) => w.field).sort();
    assert.deepEqual(fields, ['spec.image', 'spec.jobs[0].schedule', 'spec.restart']);
    const podman = result.files.find((f) => f.path === 'podman/workloads.yaml')!.text;
    assert.doesNotMatch(podman, /containerPort: 8080/, 'unpublished ports are not given to podman kube play');
    assert.match(podman, /hostPort: 2525/);
  });

  it("a Port's tls.certificateFor is not exported, with a warning at the field", () => {
    const mail = portOf('mail', {
      image: 'localhost/hiy-ports/email:1.0.0',
      tls: { certificateFor: 'mail.example.com' },
    });
    const result = exportKube(input([mail]));
    const warning = result.warnings.find((w) => w.field === 'spec.tls.certificateFor');
    assert.ok(warning, JSON.stringify(result.warnings));
    assert.equal(warning.resource, 'port/mail');
    assert.match(warning.message, /mail\.example\.com.*TLS_CERT_FILE/);
  });

  it('is deterministic: the same state in another order gives the same files', () => {
    const a = exportKube(input(linkedPair()));
    const b = exportKube(input([...linkedPair()].reverse()));
    assert.deepEqual(a.files, b.files);
  });
});

describe('export helpers', () => {
  it('quantities', () => {
    assert.equal(memoryQuantity(256 * 1024 ** 2), '256Mi');
    assert.equal(memoryQuantity(1024 ** 3), '1Gi');
    assert.equal(memoryQuantity(1000), '1000');
    assert.equal(cpuQuantity(0.5), '500m');
    assert.equal(cpuQuantity(2), '2');
  });

  it('schedules: a zero seconds field is dropped silently, another with a note', () => {
    assert.deepEqual(kubeSchedule('*/15 * * * *'), { schedule: '*/15 * * * *' });
    assert.deepEqual(kubeSchedule('0 30 3 * * *'), { schedule: '30 3 * * *' });
    assert.deepEqual(kubeSchedule('30 */5 * * * *'), { schedule: '*/5 * * * *', droppedSeconds: '30' });
  });

  it('secret names: valid Kubernetes names, distinct for distinct HIY names', () => {
    assert.equal(secretObjectName('mail-users'), 'mail-users');
    const a = secretObjectName('Mail_Users');
    const b = secretObjectName('mail-users');
    assert.notEqual(a, b);
    assert.match(a, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    assert.match(secretObjectName('hiy.link.web.DATABASE_URL'), /^hiy\.link\.web\.database-url-[0-9a-f]{8}$/);
  });
});
