// The first ACME account: storage keys as certmagic builds them, and loads staged until an account is on disk.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  acmePolicy,
  FirstAccountCaddy,
  hasAcmeAccount,
  issuerKey,
  storageSafe,
  withOneAcmeHost,
} from '../../../../src/drivers/caddy/acmeAccount.js';
import { objectAt } from '../../../../src/drivers/caddy/json.js';
import { type CaddyConfig, type CaddyDriver, CaddyError } from '../../../../src/drivers/caddy/types.js';

const SERVER = 'hiy-t';
const POLICY = `${SERVER}-tls-internal`;
const CA = 'https://127.0.0.1:14000/dir';

function config(
  subjects: string[],
  issuer: Record<string, unknown> = { module: 'acme', ca: CA, email: 'Ops@Example.com' },
): CaddyConfig {
  return {
    apps: {
      http: {
        servers: {
          [SERVER]: { listen: [':8443'], routes: [], automatic_https: { disable_redirects: true } },
        },
      },
      tls: { automation: { policies: [{ '@id': POLICY, subjects, issuers: [issuer] }] } },
    },
  };
}

async function writeAccount(dataDir: string, folder: string): Promise<void> {
  const dir = join(dataDir, 'acme', '127.0.0.1-14000-dir', 'users', folder);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'ops.json'), '{}');
  await writeFile(join(dir, 'ops.key'), 'key');
}

/** A driver that records every load and runs `onLoad` after each. */
function recording(onLoad: (n: number) => Promise<void> = async () => {}) {
  const loads: CaddyConfig[] = [];
  const driver: CaddyDriver = {
    getConfig: async () => null,
    localCaRoot: async () => '',
    load: async (c) => {
      loads.push(c);
      await onLoad(loads.length);
      return c;
    },
  };
  return { driver, loads };
}

describe('ACME storage keys (certmagic 0.17)', () => {
  it('builds the issuer key and safe components as certmagic does', () => {
    assert.equal(
      issuerKey('https://acme-v02.api.letsencrypt.org/directory'),
      'acme-v02.api.letsencrypt.org-directory',
    );
    assert.equal(issuerKey(CA), '127.0.0.1:14000-dir');
    assert.equal(storageSafe(issuerKey(CA)), '127.0.0.1-14000-dir');
    assert.equal(storageSafe(' Ops+Tag@Example.com '), 'ops_plus_tag@example.com');
    assert.equal(storageSafe('*.example.com'), 'wildcard_.example.com');
    assert.equal(storageSafe('a/../b'), 'ab');
  });
});

describe('FirstAccountCaddy', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  async function dataDir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'hiy-acme-account-'));
    dirs.push(d);
    return d;
  }

  it('finds an account by e-mail, or any account of the CA without one; half an account is none', async () => {
    const d = await dataDir();
    assert.equal(await hasAcmeAccount(d, CA, 'ops@example.com'), false);
    await mkdir(join(d, 'acme', '127.0.0.1-14000-dir', 'users', 'ops@example.com'), { recursive: true });
    await writeFile(join(d, 'acme', '127.0.0.1-14000-dir', 'users', 'ops@example.com', 'ops.key'), 'k');
    assert.equal(await hasAcmeAccount(d, CA, 'ops@example.com'), false, 'a key without its registration');
    await writeAccount(d, 'ops@example.com');
    assert.equal(await hasAcmeAccount(d, CA, 'Ops@Example.com'), true);
    assert.equal(await hasAcmeAccount(d, CA, 'other@example.com'), false);
    assert.equal(await hasAcmeAccount(d, CA, undefined), true);
    assert.equal(await hasAcmeAccount(d, 'https://other.test/dir', undefined), false);
  });

  it("reads the policy (Let's Encrypt when no CA is named) and manages one host in the staged config", () => {
    assert.deepEqual(acmePolicy(config(['a.test', 'b.test']), POLICY), {
      ca: CA,
      email: 'Ops@Example.com',
      subjects: ['a.test', 'b.test'],
    });
    assert.equal(acmePolicy(config(['a.test'], { module: 'internal' }), POLICY), undefined);
    assert.equal(
      acmePolicy(config(['a.test'], { module: 'acme' }), POLICY)?.ca,
      'https://acme-v02.api.letsencrypt.org/directory',
    );
    const original = config(['a.test', 'b.test', 'c.test']);
    const staged = withOneAcmeHost(original, SERVER, POLICY, 'a.test');
    assert.deepEqual(acmePolicy(staged, POLICY)?.subjects, ['a.test']);
    assert.deepEqual(objectAt(staged, ['apps', 'http', 'servers', SERVER, 'automatic_https']), {
      disable_redirects: true,
      skip: ['b.test', 'c.test'],
    });
    assert.deepEqual(acmePolicy(original, POLICY)?.subjects, ['a.test', 'b.test', 'c.test']);
  });

  it('with no account: loads one host, waits for the account, then loads the config as asked', async () => {
    const d = await dataDir();
    const { driver, loads } = recording(async (n) => {
      if (n === 1) setTimeout(() => void writeAccount(d, 'ops@example.com'), 50);
    });
    const caddy = new FirstAccountCaddy(driver, { server: SERVER, policyId: POLICY, dataDir: d, pollMs: 10 });
    const full = config(['c.test', 'a.test', 'b.test']);
    await caddy.load(full);
    assert.equal(loads.length, 2);
    assert.deepEqual(acmePolicy(loads[0]!, POLICY)?.subjects, ['a.test']);
    assert.deepEqual(loads[1], full);
  });

  it('loads at once with an account on disk, with one ACME host, or with no ACME policy', async () => {
    const d = await dataDir();
    const { driver, loads } = recording();
    const caddy = new FirstAccountCaddy(driver, { server: SERVER, policyId: POLICY, dataDir: d, pollMs: 10 });
    await caddy.load(config(['a.test']));
    await caddy.load(config(['a.test', 'b.test'], { module: 'internal' }));
    await writeAccount(d, 'ops@example.com');
    await caddy.load(config(['a.test', 'b.test']));
    assert.equal(loads.length, 3);
  });

  it('no account in time: fails naming the CA, the data directory and the hosts kept waiting; one host stays loaded', async () => {
    const d = await dataDir();
    const { driver, loads } = recording();
    const caddy = new FirstAccountCaddy(driver, {
      server: SERVER,
      policyId: POLICY,
      dataDir: d,
      waitMs: 100,
      pollMs: 10,
    });
    await assert.rejects(caddy.load(config(['a.test', 'b.test'])), (err: unknown) => {
      assert.ok(err instanceof CaddyError);
      assert.match(err.message, /no ACME account with https:\/\/127\.0\.0\.1:14000\/dir within 0 s/);
      assert.match(err.message, new RegExp(`HIY_CADDY_DATA_DIR=${d}`));
      assert.match(err.message, /Only a\.test is managed .* b\.test are not ordered/);
      return true;
    });
    assert.equal(loads.length, 1);
  });
});
