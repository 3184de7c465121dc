// A fresh box's first ACME apply with several hosts, against a real Pebble: Caddy registers exactly one account
// (HIY loads one host until it is on disk), every host is served, and a host added later is issued with it.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { type RunningPebble, startPebble } from '../support/pebble.js';
import { waitFor } from '../support/ports.js';
import { curlHttps, presentedCertificate, writePem } from '../support/tls.js';

function httpsPort(h: Harness): number {
  return Number(String(h.env['HIY_HTTPS_ADDR']).split(':').pop());
}

describe("HIY_TLS=acme: a fresh box's first apply with several hosts registers one ACME account", () => {
  let h: Harness;
  let pebble: RunningPebble;
  let rootFile: string;
  const hosts = ['one.acme.test', 'two.acme.test', 'three.acme.test'];

  before(async () => {
    h = await startHarness(
      Object.fromEntries(hosts.map((host, i) => [`web${i}.yaml`, webPort(`web${i}`, host, { text: host })])),
    );
    pebble = await startPebble({ httpPort: h.caddy.httpPort });
    Object.assign(h.env, {
      HIY_TLS: 'acme',
      HIY_ACME_CA: pebble.directory,
      HIY_ACME_CA_ROOT: pebble.listenerCaFile,
      HIY_ACME_EMAIL: 'ops@example.com',
    });
  });
  after(async () => {
    await h.cleanup();
    await pebble.stop();
  });

  async function served(host: string): Promise<void> {
    await waitFor(
      async () => ((await curlHttps(httpsPort(h), host, rootFile)).status === 200 ? true : undefined),
      { what: `https://${host} with Pebble's certificate`, timeoutMs: 120_000, intervalMs: 500 },
    ).catch((err) => {
      throw new Error(
        `${err.message}\ncaddy: ${h.caddy.output().slice(-4000)}\npebble: ${pebble.output().slice(-3000)}`,
      );
    });
    const cert = await presentedCertificate(httpsPort(h), host);
    assert.match(cert.issuer, /Pebble Intermediate CA/);
    assert.ok(cert.checkHost(host));
  }

  it('three hosts in the first apply: one account in Caddy and in Pebble, all three served', async () => {
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    rootFile = await writePem(join(h.root, 'pebble-root.pem'), await pebble.issuingRoot());
    for (const host of hosts) await served(host);
    const users = join(h.caddy.dataDir, 'acme');
    const cas = await readdir(users);
    assert.equal(cas.length, 1, `one CA folder: ${cas.join(', ')}`);
    const accounts = await readdir(join(users, cas[0]!, 'users'));
    assert.deepEqual(accounts, ['ops@example.com']);
    assert.deepEqual((await readdir(join(users, cas[0]!, 'users', accounts[0]!))).sort(), [
      'ops.json',
      'ops.key',
    ]);
    const counts = [...pebble.output().matchAll(/There are now (\d+) accounts/g)].map((m) => Number(m[1]));
    assert.deepEqual(counts, [1], `Pebble registered exactly one account:\n${pebble.output().slice(-3000)}`);
    assert.doesNotMatch(h.caddy.output(), /JWS verification/);
    const plan = await h.hiy(['plan', '--detailed-exitcode']);
    assert.equal(plan.code, 0, `the staged load leaves nothing to do:\n${plan.out}${plan.err}`);
  });

  it('a host added in a later commit is ordered with that account and served', async () => {
    await h.commit({ 'web9.yaml': webPort('web9', 'four.acme.test', { text: 'four' }) });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    await served('four.acme.test');
    assert.doesNotMatch(h.caddy.output(), /JWS verification/);
    assert.deepEqual(
      [...pebble.output().matchAll(/There are now (\d+) accounts/g)].map((m) => Number(m[1])),
      [1],
    );
  });
});
