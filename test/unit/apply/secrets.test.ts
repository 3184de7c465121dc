// secretEnv applied on the fake Podman: secrets created from the store, a changed one refused, old ones pruned.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyPlan } from '../../../src/apply/apply.js';
import { FakeCaddy } from '../../../src/drivers/caddy/fake.js';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import { plan } from '../../../src/plan/plan.js';
import type { Plan } from '../../../src/plan/types.js';
import { SecretStore } from '../../../src/store/secrets.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const VALUE = 'hunter2-Sup3rS3cret';
const NEW_VALUE = 'correct-horse-battery';

describe('secretEnv applied', () => {
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
