// secretEnv end to end in pure code and the fake Podman: digests in plans, values only in the fake's secrets.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyPlan } from '../../../src/apply/apply.js';
import { FakeCaddy } from '../../../src/drivers/caddy/fake.js';
import { runArgv, SECRET_SHIM_SCRIPT } from '../../../src/drivers/podman/argv.js';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import { plan } from '../../../src/plan/plan.js';
import { renderPlan } from '../../../src/plan/render.js';
import type { Plan } from '../../../src/plan/types.js';
import { SecretStore } from '../../../src/store/secrets.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const VALUE = 'hunter2-Sup3rS3cret';
const NEW_VALUE = 'correct-horse-battery';

describe('secretEnv', () => {
  let dir: string;
  let store: SecretStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-secrets-'));
    store = new SecretStore(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const web = () =>
    port('web', {
      env: { MODE: 'prod' },
      secretEnv: { DB_PASSWORD: 'db-pass' },
      command: ['/bin/httpd', '-f'],
    });
  const planWith = async (value: string, observed = emptyObserved()): Promise<Plan> =>
    plan({
      desired: desired([web()]),
      observed,
      observedFingerprint: 'fp',
      settings: SETTINGS,
      history: { secretDigests: { 'db-pass': await store.digest(value) } },
    });

  it('the store keeps values 0600 in a 0700 directory, and digests are salted', async () => {
    await store.set('db-pass', VALUE);
    assert.equal(await store.value('db-pass'), VALUE);
    assert.equal((await stat(join(dir, 'secrets', 'values', 'db-pass'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'secrets'))).mode & 0o777, 0o700);
    const other = new SecretStore(await mkdtemp(join(tmpdir(), 'hiy-secrets-')));
    assert.notEqual(await other.digest(VALUE), await store.digest(VALUE), 'another salt, another digest');
    assert.equal(await store.digest(VALUE), await new SecretStore(dir).digest(VALUE), 'the salt persists');
    assert.deepEqual(
      (await store.list()).map((e) => e.name),
      ['db-pass'],
    );
    await assert.rejects(store.set('../escape', 'x'), /not a secret name/);
  });

  it('a plan carries names and digests only; text and JSON never contain the value', async () => {
    const p = await planWith(VALUE);
    const create = p.actions.find((a) => a.kind === 'container.create');
    assert.ok(create && create.kind === 'container.create');
    assert.equal(create.run.secretEnv?.[0]?.env, 'DB_PASSWORD');
    assert.match(create.run.secretEnv![0]!.secret, /^hiy-web\.DB_PASSWORD\.[0-9a-f]{16}$/);
    assert.equal(create.run.env.DB_PASSWORD, undefined, 'never a plain env var');
    assert.match(create.run.labels['hiy.spec']!, /"secretEnv":\{"DB_PASSWORD":"hmac:[0-9a-f]{32}"\}/);
    assert.ok(!JSON.stringify(p).includes(VALUE));
    assert.ok(!renderPlan(p).includes(VALUE));
  });

  it('a changed secret replaces the container and renders as a sensitive change', async () => {
    const first = await planWith(VALUE);
    const same = await planWith(VALUE, observedAfter(first));
    assert.deepEqual(same.actions, [], 'unchanged secret: nothing to do');
    const p = await planWith(NEW_VALUE, observedAfter(first));
    assert.deepEqual(
      p.actions.map((a) => a.kind),
      ['container.replace'],
    );
    const text = renderPlan(p);
    assert.match(text, /~ secretEnv\.DB_PASSWORD: \(sensitive value changed\)/);
    assert.match(p.actions[0]!.reason, /secretEnv\.DB_PASSWORD/);
    assert.ok(!text.includes(NEW_VALUE) && !text.includes(VALUE));
    assert.ok(!text.includes('hmac:'), 'not even the digest is shown to humans');
    assert.ok(!JSON.stringify(p).includes(NEW_VALUE));
  });

  it('runArgv mounts secrets as files and wraps the command in the shim; no value, no --env', () => {
    const argv = runArgv(
      {
        name: 'hiy-web',
        image: 'localhost/x:1',
        labels: {},
        env: { MODE: 'prod' },
        secretEnv: [{ env: 'DB_PASSWORD', secret: 'hiy-web.DB_PASSWORD.0123456789abcdef' }],
        args: ['-p', '80'],
        volumes: [],
        publish: [],
        restart: 'no',
        stopTimeoutSeconds: 1,
      },
      { shimBinary: '/bin/busybox', imageCommand: { entrypoint: ['/init'], cmd: ['--default'] } },
    );
    assert.deepEqual(argv.slice(argv.indexOf('--env')), [
      '--env',
      'MODE=prod',
      '--secret',
      'hiy-web.DB_PASSWORD.0123456789abcdef,type=mount,target=/run/secrets/hiy-env/DB_PASSWORD',
      '-v',
      '/bin/busybox:/run/hiy/busybox:ro',
      '--entrypoint',
      JSON.stringify(['/run/hiy/busybox', 'sh', '-c', SECRET_SHIM_SCRIPT, 'hiy-secrets']),
      '--restart',
      'no',
      '--stop-timeout',
      '1',
      'localhost/x:1',
      '/init',
      '-p',
      '80',
    ]);
  });

  it('apply creates the Podman secret from the store, refuses a changed one, prunes old ones', async () => {
    const podman = new FakePodman();
    podman.addImage('localhost/example/web:1');
    const caddy = new FakeCaddy();
    const prober = { httpGet: async () => 200, tcpConnect: async () => {} };
    const deps = { podman, caddy, prober, exportCommit: async () => {}, secrets: store };
    await store.set('db-pass', VALUE);
    const first = await planWith(VALUE);
    const r1 = await applyPlan(first, { ...deps, caddyConfig: null });
    assert.ok(r1.ok, JSON.stringify(r1.results));
    assert.equal(podman.containerEnv('hiy-web')?.DB_PASSWORD, VALUE);
    const owned = await podman.listSecrets({ 'hiy.instance': SETTINGS.instance });
    assert.equal(owned.length, 1);

    // The value changes after the plan was made: apply refuses and changes nothing.
    const second = await planWith(NEW_VALUE, observedAfter(first));
    const r2 = await applyPlan(second, { ...deps, caddyConfig: null });
    assert.equal(r2.ok, false);
    assert.match(r2.results[0]!.error!, /secret "db-pass" \(DB_PASSWORD\) changed since the plan was made/);
    assert.equal(podman.containerEnv('hiy-web')?.DB_PASSWORD, VALUE);

    await store.set('db-pass', NEW_VALUE);
    const observed = {
      ...emptyObserved(),
      containers: await podman.listContainers({ 'hiy.instance': SETTINGS.instance }),
    };
    const third = await planWith(NEW_VALUE, observed);
    const r3 = await applyPlan(third, { ...deps, caddyConfig: null });
    assert.ok(r3.ok, JSON.stringify(r3.results));
    assert.equal(podman.containerEnv('hiy-web')?.DB_PASSWORD, NEW_VALUE);
    const left = await podman.listSecrets({ 'hiy.instance': SETTINGS.instance });
    assert.deepEqual(
      left.map((s) => s.name),
      [third.actions.find((a) => a.kind === 'container.replace')!.run.secretEnv![0]!.secret],
      'the old secret is removed once nothing uses it',
    );
  });

  it('nothing outside secrets/ in the data directory holds the value', async () => {
    const hits: string[] = [];
    for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
      const p = join(e.parentPath ?? e.path, e.name);
      if (!e.isFile() || p.startsWith(join(dir, 'secrets', 'values'))) continue;
      const text = await readFile(p, 'utf8');
      if (text.includes(VALUE) || text.includes(NEW_VALUE)) hits.push(p);
    }
    assert.deepEqual(hits, []);
  });
});
