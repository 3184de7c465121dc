// secretEnv in plans: names and salted digests only, never the value; a changed value replaces the container.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { plan } from '../../../src/plan/plan.js';
import { renderPlan } from '../../../src/plan/render.js';
import type { Plan } from '../../../src/plan/types.js';
import { SecretStore } from '../../../src/store/secrets.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const VALUE = 'hunter2-Sup3rS3cret';
const NEW_VALUE = 'correct-horse-battery';

describe('secretEnv in plans', () => {
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
});
