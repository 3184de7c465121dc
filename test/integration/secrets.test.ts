// secretEnv on real Podman and Caddy: the value reaches the container's environment and appears in no output.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type CliRun, type Harness, startHarness } from '../support/hiy.js';
import { instanceObjects, instanceSecrets } from '../support/podman.js';
import { hiyProcess } from '../support/process.js';

/** A Port that serves "GREETING:DB_PASSWORD" (so the test can see the value reached the environment). */
function securePort(extra = ''): string {
  const script =
    'mkdir -p /www && echo "$GREETING:$DB_PASSWORD" > /www/index.html && exec httpd -f -p 8080 -h /www';
  return `apiVersion: hiy/v1
kind: Port
metadata:
  name: vault
spec:
  image: localhost/hiy/busybox:latest
  command: ["/bin/sh", "-c", ${JSON.stringify(script)}]
  env:
    GREETING: hello
  secretEnv:
    DB_PASSWORD: db-pass
${extra}  routes:
    - host: vault.test
      port: 8080
  healthcheck:
    http: { path: /, port: 8080 }
    interval: 1s
    timeout: 20s
  stopGracePeriod: 1s
`;
}

describe('secretEnv on real Podman', () => {
  let h: Harness;
  // Random, so a hit can only be a leak of this very value.
  const first = `s3cret-${randomBytes(9).toString('hex')}`;
  const second = `r0tated-${randomBytes(9).toString('hex')}`;
  const outputs: { what: string; text: string }[] = [];
  const debug = { HIY_LOG_LEVEL: 'debug' };
  const record = <R extends Pick<CliRun, 'code' | 'out' | 'err'>>(what: string, r: R): R => {
    outputs.push({ what: `${what} stdout`, text: r.out }, { what: `${what} stderr`, text: r.err });
    return r;
  };
  const setSecret = async (value: string) => {
    const file = join(h.root, 'value.txt'); // outside the data dir and the state repo
    await writeFile(file, value);
    const r = record('secret set', await h.hiy(['secret', 'set', 'db-pass', '--from-file', file], debug));
    assert.equal(r.code, 0, r.err);
  };

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.cleanup();
    assert.deepEqual(await instanceSecrets(h.instance), [], 'cleanup removes the Podman secrets');
  });

  it('refuses to plan while a secret is not set, naming the file and field', async () => {
    await h.commit({ 'vault.yaml': securePort() });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 1);
    assert.match(r.err, /vault\.yaml:\d+:\d+: spec\.secretEnv\.DB_PASSWORD: secret "db-pass" is not set/);
    assert.match(r.err, /hiy secret set db-pass/);
    assert.deepEqual(await instanceObjects('containers', h.instance, '{{.Names}}'), []);
  });

  it('a variable in both env and secretEnv is an error', async () => {
    await h.commit({
      'bad.yaml': securePort()
        .replace('name: vault', 'name: bad')
        .replace('GREETING: hello', 'DB_PASSWORD: plain')
        .replace('vault.test', 'bad.test'),
    });
    const r = await h.hiy(['validate']);
    assert.equal(r.code, 1);
    assert.match(r.out + r.err, /DB_PASSWORD is set in both env and secretEnv/);
    await h.commit({ 'bad.yaml': null });
  });

  it('the value reaches the container environment; apply output shows none of it', async () => {
    await setSecret(first);
    const plan = record('plan', await h.hiy(['plan'], debug));
    assert.equal(plan.code, 0, plan.err);
    assert.match(plan.out, /\+ container hiy-\S+-vault/);
    const r = record('apply', await h.hiy(['apply'], debug));
    assert.equal(r.code, 0, r.out + r.err);
    const page = await h.get('vault.test');
    assert.equal(page.body.trim(), `hello:${first}`);
    const secrets = await instanceSecrets(h.instance);
    assert.equal(secrets.length, 1);
    assert.match(secrets[0]!, /^hiy-\S+-vault\.DB_PASSWORD\.[0-9a-f]{16}$/);
  });

  it('a changed secret plans as a sensitive change, replaces the container and drops the old Podman secret', async () => {
    await setSecret(second);
    const plan = record('plan', await h.hiy(['plan'], debug));
    assert.match(plan.out, /-\/\+ container/);
    assert.match(plan.out, /~ secretEnv\.DB_PASSWORD: \(sensitive value changed\)/);
    record('plan --json', await h.hiy(['plan', '--json'], debug));
    // A real process, so its stderr carries the pino logs at debug level.
    const r = record('apply', await hiyProcess(['apply'], { ...process.env, ...h.env, ...debug }));
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal((await h.get('vault.test')).body.trim(), `hello:${second}`);
    assert.equal((await instanceSecrets(h.instance)).length, 1, 'the old secret is gone');
    const again = record('apply', await h.hiy(['apply', '--json'], debug));
    assert.equal(JSON.parse(again.out).plan.actions.length, 0, 'an unchanged secret changes nothing');
  });

  it('no output, label, inspect or data file holds either value', async () => {
    // The value piped on stdin (the usual way to set one) is not echoed either.
    const set = record(
      'secret set (stdin)',
      await hiyProcess(['secret', 'set', 'db-pass'], { ...process.env, ...h.env, ...debug }, second),
    );
    assert.equal(set.code, 0, set.err);
    for (const args of [
      ['status'],
      ['status', '--json'],
      ['releases', 'vault'],
      ['releases', 'vault', '--json'],
      ['secret', 'list'],
      ['secret', 'list', '--json'],
      ['plan', '--json'],
    ]) {
      const r = record(args.join(' '), await h.hiy(args, debug));
      assert.equal(r.code, 0, r.err);
    }
    const name = (await instanceObjects('containers', h.instance, '{{.Names}}'))[0]!;
    const inspect = await execa('podman', ['inspect', name]);
    outputs.push({ what: 'podman inspect', text: inspect.stdout });
    const ps = await execa('podman', [
      'ps',
      '-a',
      '--format',
      'json',
      '--filter',
      `label=hiy.instance=${h.instance}`,
    ]);
    outputs.push({ what: 'podman ps (labels)', text: ps.stdout });
    const secretInspect = await execa('podman', [
      'secret',
      'inspect',
      ...(await instanceSecrets(h.instance)),
    ]);
    outputs.push({ what: 'podman secret inspect', text: secretInspect.stdout });
    for (const e of await readdir(h.dataDir, { recursive: true, withFileTypes: true })) {
      const path = join(e.parentPath ?? e.path, e.name);
      // The store itself is where the values live (mode 0600); everything else must be clean.
      if (!e.isFile() || path.startsWith(join(h.dataDir, 'secrets', 'values'))) continue;
      outputs.push({ what: `data file ${path}`, text: await readFile(path, 'latin1') });
    }
    // The checks above must have looked at real output, including debug logs.
    assert.ok(
      outputs.some((o) => o.what === 'apply stderr' && o.text.includes('"msg":"apply started"')),
      'logs seen',
    );
    assert.ok(outputs.some((o) => o.what.startsWith('data file') && o.what.includes('releases')));
    const leaks = outputs.filter((o) => o.text.includes(first) || o.text.includes(second)).map((o) => o.what);
    assert.deepEqual(leaks, []);
  });
});
