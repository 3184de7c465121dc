// Service links on the fakes: provides rendered (secrets pending for apply, passed as secretEnv), link errors at
// spec.links[N], link targets marked (their linkers, salted hash); network flags in the argv.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixedMac } from '../../../src/apply/network.js';
import { parseStateFiles } from '../../../src/desired/parse.js';
import { runArgv } from '../../../src/drivers/podman/argv.js';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import { formatDiagnostic } from '../../../src/model/diagnostics.js';
import { objectNames } from '../../../src/model/names.js';
import { PORT_LABEL } from '../../../src/model/portContract.js';
import type { PortResource } from '../../../src/model/resources.js';
import { toDesiredWorkload } from '../../../src/model/workload.js';
import { resolvePorts } from '../../../src/ports/resolve.js';
import { writePendingSecrets } from '../../../src/ports/secrets.js';
import { labelText } from '../../../src/ports/toolkit.js';

const DB = {
  contract: 'v1',
  name: 'pg',
  version: '16.0.0',
  dataVersion: 1,
  description: 'a database',
  env: {
    DB_PASSWORD: { description: 'password', secret: true, generate: { length: 20 } },
    DB_NAME: { description: 'database', default: 'app' },
  },
  provides: {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the contract's own placeholders
    DATABASE_URL: 'postgres://app:${secret.DB_PASSWORD}@${host}:5432/${env.DB_NAME}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the contract's own placeholders
    DB_HOST: '${host}',
  },
};

const port = (name: string, image: string, extra = '') =>
  `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: ${name}\nspec:\n  image: ${image}\n${extra}`;

async function resolve(text: string, values = new Map<string, string>()) {
  const podman = new FakePodman();
  podman.addImage('localhost/pg:16', { [PORT_LABEL]: labelText(DB) });
  podman.addImage('localhost/web:1');
  const parsed = parseStateFiles([{ path: 'ports.yaml', text }]);
  assert.deepEqual(parsed.diagnostics, []);
  const names = objectNames('unit');
  let file = { refs: {}, labels: {} };
  const r = await resolvePorts({
    podman,
    cache: {
      read: async () => structuredClone(file),
      write: async (f) => {
        file = f;
      },
    },
    secrets: { value: async (n) => values.get(n) },
    instance: 'unit',
    state: {
      repo: '/s',
      branch: 'main',
      commit: 'c',
      resources: parsed.resources,
      workloads: parsed.resources.map((lr) => toDesiredWorkload(lr.resource as PortResource, { names })),
      users: [],
    },
    containers: [],
  });
  return { r, values };
}

describe('service links', () => {
  it('renders provides: plain values as env, values with a secret as a secret (written by apply) in secretEnv', async () => {
    const text = `${port('db', 'localhost/pg:16')}---\n${port('web', 'localhost/web:1', '  links: [port/db]\n')}`;
    const values = new Map<string, string>();
    const first = (await resolve(text, values)).r;
    assert.equal(values.size, 0, 'resolving writes no secret');
    assert.deepEqual(first.secrets, [
      { name: 'hiy.generated.db.DB_PASSWORD', resource: 'port/db', kind: 'generate', length: 20 },
      { name: 'hiy.link.web.DATABASE_URL', resource: 'port/web', kind: 'link', from: 'port/db' },
    ]);
    const store = {
      value: async (n: string) => values.get(n),
      set: async (n: string, v: string) => void values.set(n, v),
      create: async (n: string, v: string) => !values.has(n) && !!values.set(n, v),
    };
    assert.deepEqual(await writePendingSecrets(store, first.secrets), ['hiy.generated.db.DB_PASSWORD']);
    const second = (await resolve(text, values)).r;
    assert.deepEqual(
      second.secrets.map((s) => [s.name, s.kind]),
      [['hiy.link.web.DATABASE_URL', 'link']],
      'the linked value is known once the password exists',
    );
    assert.deepEqual(await writePendingSecrets(store, second.secrets), ['hiy.link.web.DATABASE_URL']);
    const { r } = await resolve(text, values);
    assert.deepEqual(r.secrets, [], 'nothing pending once written');
    assert.deepEqual(r.diagnostics, []);
    const web = r.state.workloads.find((w) => w.id === 'port/web')!;
    const db = r.state.workloads.find((w) => w.id === 'port/db')!;
    assert.deepEqual(web.env, { DB_HOST: 'db' });
    assert.deepEqual(web.secretEnv, { DATABASE_URL: 'hiy.link.web.DATABASE_URL' });
    assert.deepEqual(web.links, { db: 'port/db' });
    const password = values.get('hiy.generated.db.DB_PASSWORD')!;
    assert.equal(values.get('hiy.link.web.DATABASE_URL'), `postgres://app:${password}@db:5432/app`);
    assert.equal(db.linkTarget, true);
    assert.deepEqual(db.linkedBy, ['port/web'], 'the target knows its linkers: one link network each');
    assert.notEqual(
      db.specHash,
      toDesiredWorkload(r.state.resources[0]!.resource as PortResource, { names: objectNames('unit') })
        .specHash,
    );
  });

  it('a link to nothing, to itself or to a port providing nothing is an error at spec.links[N]', async () => {
    const { r } = await resolve(
      `${port('db', 'localhost/pg:16')}---\n${port('plain', 'localhost/web:1')}---\n${port('web', 'localhost/web:1', '  links: [port/nope, port/web, port/plain]\n')}`,
    );
    assert.deepEqual(
      r.diagnostics.map((d) => formatDiagnostic(d).replace(/:\d+:\d+:/, ':L:C:')),
      [
        'error: ports.yaml:L:C: spec.links[0]: port/nope does not exist in the state repo',
        'error: ports.yaml:L:C: spec.links[1]: a resource cannot link to itself',
        'error: ports.yaml:L:C: spec.links[2]: port/plain provides nothing: its image declares no provides (docs/ports.md)',
      ],
    );
  });

  it('runArgv joins its own network with its alias, each link network (fixed address where it serves) and hosts', () => {
    const argv = runArgv({
      name: 'c',
      image: 'img',
      labels: {},
      env: {},
      volumes: [],
      publish: [],
      restart: 'no',
      stopTimeoutSeconds: 1,
      network: {
        name: 'hiy.port.web',
        aliases: ['web'],
        links: [
          { name: 'hiy_link.port.web.port.db' },
          { name: 'hiy_link.app.x.port.web', ip: '10.89.3.254', mac: fixedMac('10.89.3.254') },
        ],
        hosts: { db: '10.89.4.254' },
      },
    });
    const at = argv.indexOf('--network');
    assert.deepEqual(argv.slice(at, at + 8), [
      '--network',
      'hiy.port.web:alias=web',
      '--network',
      'hiy_link.port.web.port.db',
      // A fixed MAC with the fixed address: the linker's neighbour cache stays right when the target is replaced.
      '--network',
      'hiy_link.app.x.port.web:ip=10.89.3.254,mac=02:68:0a:59:03:fe',
      '--add-host',
      'db:10.89.4.254',
    ]);
  });
});
