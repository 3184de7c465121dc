// The port contract on the fakes: specs checked against image declarations at file:line:col, short Ports filled
// in from them, generated secrets created once, and declarations read once per image (3 calls for a no-op).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStateFiles } from '../../../src/desired/parse.js';
import type { DesiredState } from '../../../src/desired/types.js';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import { formatDiagnostic, StateRepoInvalidError } from '../../../src/model/diagnostics.js';
import { objectNames } from '../../../src/model/names.js';
import { PORT_LABEL } from '../../../src/model/portContract.js';
import type { PortResource } from '../../../src/model/resources.js';
import { toDesiredWorkload } from '../../../src/model/workload.js';
import { generatedSecretName } from '../../../src/ports/effective.js';
import { parseDeclarationLabel } from '../../../src/ports/read.js';
import { resolvePorts } from '../../../src/ports/resolve.js';
import { writePendingSecrets } from '../../../src/ports/secrets.js';
import type { PortDeclarationCacheFile } from '../../../src/store/portDeclarations.js';
import { fakeEngine } from '../../support/fakeEngine.js';

const EMAIL = {
  contract: 'v1',
  name: 'email',
  version: '1.2.0',
  dataVersion: 1,
  description: 'mail',
  env: {
    DOMAIN: { description: 'the mail domain', required: true, pattern: '[a-z0-9.-]+\\.[a-z]{2,}' },
    USERS: { description: 'mailboxes', secret: true },
    DB_PASSWORD: { description: 'the database password', secret: true, generate: { length: 24 } },
    LOG_LEVEL: { description: 'how much to log', default: 'info' },
  },
  volumes: [{ name: 'mail', mountPath: '/var/mail', description: 'every mailbox' }],
  ports: [{ containerPort: 8080, description: 'web', http: true }],
  healthcheck: { tcp: { port: 8080 } },
};
const IMAGE = 'localhost/example/email:1';

function memoryCache() {
  let file: PortDeclarationCacheFile = { refs: {}, labels: {} };
  let writes = 0;
  return {
    read: async () => structuredClone(file),
    write: async (f: PortDeclarationCacheFile) => {
      file = structuredClone(f);
      writes++;
    },
    get writes() {
      return writes;
    },
  };
}

function stateOf(text: string): DesiredState {
  const parsed = parseStateFiles([{ path: 'ports/mail.yaml', text }]);
  assert.deepEqual(parsed.diagnostics, [], 'fixtures must parse');
  const names = objectNames('unit');
  return {
    repo: '/state',
    branch: 'main',
    commit: 'c',
    resources: parsed.resources,
    workloads: parsed.resources.map((lr) => toDesiredWorkload(lr.resource as PortResource, { names })),
    users: [],
  };
}

const portYaml = (name: string, spec: string) =>
  `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: ${name}\nspec:\n  image: ${IMAGE}\n${spec}`;

function world() {
  const podman = new FakePodman();
  podman.addImage(IMAGE, { [PORT_LABEL]: JSON.stringify(EMAIL) });
  const values = new Map<string, string>();
  const store = {
    value: async (n: string) => values.get(n),
    set: async (n: string, v: string) => void values.set(n, v),
    create: async (n: string, v: string) => !values.has(n) && !!values.set(n, v),
  };
  return { podman, values, store, cache: memoryCache() };
}

describe('port declarations', () => {
  it('parses a valid label and names every problem of an invalid one', () => {
    assert.ok('declaration' in parseDeclarationLabel(JSON.stringify(EMAIL)));
    const bad = parseDeclarationLabel(JSON.stringify({ ...EMAIL, dataVersion: -1, name: 'No' }));
    assert.ok('problems' in bad && bad.problems.length === 2, JSON.stringify(bad));
    assert.ok('problems' in parseDeclarationLabel('{nope'));
  });

  it('reports every way a spec breaks the declaration, at file:line:col, and creates nothing', async () => {
    const w = world();
    const spec = [
      '  env:',
      '    DOMAIN: "not a domain"',
      '    USERS: "alice:{PLAIN}x"',
      '    COLOUR: blue',
      '  volumes:',
      '    - { name: other, mountPath: /srv }',
      '',
    ].join('\n');
    const r = await resolvePorts({
      ...w,
      secrets: w.store,
      instance: 'unit',
      state: stateOf(portYaml('mail', spec)),
      containers: [],
    });
    const lines = r.diagnostics.map(formatDiagnostic);
    assert.deepEqual(lines.map((l) => l.split('\n')[0]).sort(), [
      'error: ports/mail.yaml:12:5: spec.volumes: /var/mail is not mounted: port email 1.2.0 keeps every mailbox there',
      'error: ports/mail.yaml:8:13: spec.env.DOMAIN: does not match [a-z0-9.-]+\\.[a-z]{2,}, required by port email 1.2.0: the mail domain',
      'error: ports/mail.yaml:9:12: spec.env.USERS: is a secret of port email 1.2.0 (mailboxes): give it in spec.secretEnv, not in env',
      'warning: ports/mail.yaml:10:13: spec.env.COLOUR: is not a variable of port email 1.2.0',
    ]);
    assert.equal(w.values.size, 0, 'no secret generated when the plan fails');
  });

  it('a route to a declared port that does not speak HTTP is a warning at spec.routes[N].port', async () => {
    const w = world();
    const smtp = 'localhost/example/smtp:1';
    const ports = [...EMAIL.ports, { containerPort: 25, description: 'SMTP' }];
    w.podman.addImage(smtp, { [PORT_LABEL]: JSON.stringify({ ...EMAIL, ports }) });
    const spec = [
      '  env: { DOMAIN: example.org }',
      '  secretEnv: { USERS: mail-users }',
      '  routes:',
      '    - { host: web.example.org, port: 8080 }',
      '    - { host: mail.example.org, port: 25 }',
      '',
    ].join('\n');
    const r = await resolvePorts({
      ...w,
      instance: 'unit',
      state: stateOf(portYaml('mail', spec).replace(IMAGE, smtp)),
      containers: [],
    });
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
      'warning: ports/mail.yaml:11:39: spec.routes[1].port: port 25 of port email 1.2.0 (SMTP) does not speak HTTP, but Caddy would proxy HTTP to it\n  route the ports the declaration marks http: true; publish the others with spec.ports',
    ]);
  });

  it('a missing required variable: file:line:col: spec.env.DOMAIN: required by port email 1.2.0: the mail domain', async () => {
    const w = world();
    const r = await resolvePorts({
      ...w,
      instance: 'unit',
      state: stateOf(portYaml('mail', '')),
      containers: [],
    });
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
      'error: ports/mail.yaml:6:3: spec.env.DOMAIN: required by port email 1.2.0: the mail domain',
    ]);
  });

  it('a short Port gets volumes, exposed ports, health check, defaults and a generated secret (once)', async () => {
    const w = world();
    const input = {
      ...w,
      secrets: w.store,
      instance: 'unit',
      state: stateOf(
        portYaml('mail', '  env: { DOMAIN: example.org }\n  secretEnv: { USERS: mail-users }\n'),
      ),
      containers: [],
    };
    const r = await resolvePorts(input);
    assert.deepEqual(r.diagnostics, []);
    const wl = r.state.workloads[0]!;
    assert.deepEqual(wl.env, { DOMAIN: 'example.org', LOG_LEVEL: 'info' });
    const generated = generatedSecretName('mail', 'DB_PASSWORD');
    assert.deepEqual(wl.secretEnv, { USERS: 'mail-users', DB_PASSWORD: generated });
    assert.deepEqual(
      wl.volumes.map((v) => [v.volumeName, v.mountPath]),
      [['hiy-unit-mail-mail', '/var/mail']],
    );
    assert.equal(wl.healthcheck?.probe.kind, 'tcp');
    assert.deepEqual(wl.internalPorts, [8080]);
    assert.equal(w.values.size, 0, 'resolving writes no secret');
    assert.deepEqual(r.secrets, [{ name: generated, resource: 'port/mail', kind: 'generate', length: 24 }]);
    assert.deepEqual(await writePendingSecrets(w.store, r.secrets), [generated]);
    const value = w.values.get(generated);
    assert.equal(value?.length, 24);
    assert.deepEqual((await resolvePorts(input)).secrets, [], 'nothing pending once created');
    assert.deepEqual(await writePendingSecrets(w.store, r.secrets), [], 'an existing one is kept');
    assert.equal(w.values.get(generated), value, 'a generated secret is created once');
    const spec = (r.state.resources[0]!.resource as PortResource).spec;
    assert.deepEqual(spec.expose, [8080], 'the effective spec is what the plan shows');
  });

  it('reads each image once: a second resolve makes no call and writes no cache', async () => {
    const w = world();
    const state = stateOf(
      Array.from({ length: 50 }, (_, i) => portYaml(`m${i}`, '  env: { DOMAIN: example.org }\n')).join(
        '---\n',
      ),
    );
    await resolvePorts({ ...w, instance: 'unit', state, containers: [] });
    assert.equal(w.podman.calls, 1, 'one inspect for 50 Ports of one image');
    const before = { calls: w.podman.calls, writes: w.cache.writes };
    await resolvePorts({ ...w, instance: 'unit', state, containers: [] });
    assert.deepEqual({ calls: w.podman.calls, writes: w.cache.writes }, before);
  });
});

describe('a no-op reconcile of 50 declared ports', () => {
  it('makes exactly 3 external calls (the observation)', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 50; i++) {
      files[`ports/p${i}.yaml`] = portYaml(`p${i}`, '  env: { DOMAIN: example.org }\n');
    }
    const w = await fakeEngine({ files });
    try {
      w.podman.addImage(IMAGE, {
        [PORT_LABEL]: JSON.stringify({ ...EMAIL, env: { DOMAIN: EMAIL.env.DOMAIN } }),
      });
      const once = () =>
        withApplyLock(w.engine, async () =>
          applyAndRecord(w.engine, await computePlan(w.engine, { forApply: true })),
        );
      const first = await once();
      assert.equal(first.ok, true, JSON.stringify(first.results));
      const before = w.podman.calls + w.caddy.calls;
      const planned = await withApplyLock(w.engine, () => computePlan(w.engine, { forApply: true }));
      assert.deepEqual(planned.plan.actions, []);
      assert.equal(w.podman.calls + w.caddy.calls - before, 3);
    } finally {
      await w.cleanup();
    }
  });

  it('a missing required variable fails the plan before anything is created', async () => {
    const w = await fakeEngine({ files: { 'ports/mail.yaml': portYaml('mail', '') } });
    try {
      w.podman.addImage(IMAGE, { [PORT_LABEL]: JSON.stringify(EMAIL) });
      const err = await computePlan(w.engine).catch((e: unknown) => e);
      assert.ok(err instanceof StateRepoInvalidError);
      assert.match(
        formatDiagnostic(err.diagnostics[0]!),
        /spec\.env\.DOMAIN: required by port email 1\.2\.0/,
      );
      assert.deepEqual(await w.podman.listContainers({}), []);
    } finally {
      await w.cleanup();
    }
  });
});
