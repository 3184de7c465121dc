// Service links on real Podman: a Port, and an App built from source, linked to a declared database port get its
// DATABASE_URL (the generated password through the secret mechanism, never --env) and reach it by name over their
// link's network; links are the access list: an unlinked workload of the instance, a container on Podman's default
// network and one of another instance reach nothing, by name or address; a container taken off a link's network
// is replaced by the next apply.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildBusyboxPort } from '../support/busyboxPort.js';
import { type Harness, makeRepo, startHarness } from '../support/hiy.js';
import {
  addressOn,
  BUSYBOX_IMAGE,
  cleanupInstance,
  createInstanceNetwork,
  networkDiagnostics,
  runOnNetwork,
  testInstance,
} from '../support/podman.js';
import { waitFor } from '../support/ports.js';

/** The linked port: serves one value derived from its name. */
const KV_SCRIPT = 'mkdir -p /srv && echo "kv-of-$HIY_NAME" > /srv/value && exec httpd -f -p 8080 -h /srv';

const DB = {
  contract: 'v1',
  name: 'kv',
  version: '1.0.0',
  dataVersion: 1,
  description: 'a tiny key-value store over HTTP',
  env: { DB_PASSWORD: { description: 'the password', secret: true, generate: { length: 24 } } },
  ports: [{ containerPort: 8080, description: 'the store' }],
  healthcheck: { tcp: { port: 8080 }, interval: '1s', timeout: '20s' },
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the contract's own placeholders
  provides: { DATABASE_URL: 'kv://app:${secret.DB_PASSWORD}@${host}:8080/' },
};

const dbYaml = (image: string) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: db
spec:
  image: ${image}
  env: { HIY_NAME: db }
  stopGracePeriod: 1s
`;

/** A web page showing the DATABASE_URL it got and what it read from the database by name. */
const APP_SCRIPT =
  'mkdir -p /www; echo "$DATABASE_URL" > /www/url.txt; host=$(echo "$DATABASE_URL" | sed "s#.*@##; s#:.*##"); ' +
  'while :; do printf "GET /value HTTP/1.0\\r\\n\\r\\n" | nc -w 2 "$host" 8080 | tail -1 > /www/db.txt; ' +
  'sleep 1; done & exec httpd -f -p 8080 -h /www';

const appYaml = (links: string) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: app
spec:
  image: ${BUSYBOX_IMAGE}
  command: ["/bin/sh", "-c", ${JSON.stringify(APP_SCRIPT)}]
  links: ${links}
  routes:
    - { host: app.test, port: 8080 }
  healthcheck: { http: { path: /url.txt, port: 8080 }, interval: 1s, timeout: 20s }
  stopGracePeriod: 1s
`;

/** A workload of the instance that links to nothing. */
const lonerYaml = `apiVersion: hiy/v1
kind: Port
metadata:
  name: loner
spec:
  image: ${BUSYBOX_IMAGE}
  command: ["/bin/sh", "-c", "mkdir -p /w && echo loner > /w/x && exec httpd -f -p 8080 -h /w"]
  stopGracePeriod: 1s
`;

/** An App built from its own repository on the box: the same page as the Port above, from a Containerfile. */
const shopYaml = `apiVersion: hiy/v1
kind: App
metadata:
  name: shop
spec:
  source:
    git: ../src/shop
    branch: main
  links: [port/db]
  routes:
    - { host: shop.test, port: 8080 }
  healthcheck: { http: { path: /url.txt, port: 8080 }, interval: 1s, timeout: 20s }
  stopGracePeriod: 1s
`;

/** Every file under DIR (relative path → mode and sha256 of its content), directories included; or that it is absent. */
async function treeOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const names = await readdir(dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return ['(no directory)'];
    throw err;
  });
  if (names[0] === '(no directory)') return { [dir]: 'absent' };
  for (const name of names) {
    const path = join(dir, name);
    const st = await stat(path);
    out[name] = st.isDirectory()
      ? `dir ${st.mode.toString(8)}`
      : `${st.mode.toString(8)} ${createHash('sha256')
          .update(await readFile(path))
          .digest('hex')}`;
  }
  return out;
}

/**
 * Polls the page at HOST/PATH until it says `want` (20 s: the linked server may still be starting after the apply
 * returned); the last answer otherwise, so the assertion shows what it said.
 */
async function pageSays(h: Harness, host: string, path: string, want: string): Promise<string> {
  let body = '';
  await waitFor(
    async () => {
      body = (await h.get(host, path).catch(() => ({ body: '' }))).body.trim();
      return body === want;
    },
    { timeoutMs: 20_000, intervalMs: 250, what: `${host}${path} to say ${want}` },
  ).catch(() => undefined);
  return body;
}

/** The shell line that GETs PATH from TARGET:8080 and prints the body's last line (nothing when refused). */
const get = (target: string, path: string) =>
  `printf "GET ${path} HTTP/1.0\\r\\n\\r\\n" | nc -w 3 ${target} 8080 | tail -1`;

/** What the container NAME reads from TARGET (the database by its name `db` by default; empty when refused). */
async function readDbFrom(container: string, target = 'db', path = '/value'): Promise<string> {
  const r = await execa('podman', ['exec', container, 'sh', '-c', get(target, path)], {
    reject: false,
    timeout: 30_000,
  });
  return r.stdout.trim();
}

describe('service links on real Podman', () => {
  let h: Harness;
  const other = testInstance('o');

  before(async () => {
    h = await startHarness();
    await buildBusyboxPort(h.instance, `localhost/hiy-test/${h.instance}-kv:1`, KV_SCRIPT, DB);
  });
  after(async () => {
    await h.cleanup();
    await cleanupInstance(other);
  });

  it('a link to something that does not exist, or provides nothing, is a file:line error', async () => {
    await h.commit({ 'ports/app.yaml': appYaml('[port/nope]') });
    const r = await h.hiy(['plan']);
    assert.notEqual(r.code, 0);
    assert.match(
      r.err,
      /ports\/app\.yaml:8:\d+: spec\.links\[0\]: port\/nope does not exist in the state repo/,
    );
    await h.commit({
      'ports/app.yaml': appYaml('[port/db]'),
      'ports/db.yaml': dbYaml(BUSYBOX_IMAGE),
    });
    const bare = await h.hiy(['plan']);
    assert.notEqual(bare.code, 0);
    assert.match(bare.err, /spec\.links\[0\]: port\/db provides nothing/);
  });

  it('the linked app gets DATABASE_URL as a secret and reaches the port by name over its link', async () => {
    await h.commit({ 'ports/db.yaml': dbYaml(`localhost/hiy-test/${h.instance}-kv:1`) });
    // Planning decides and writes nothing: the secrets to generate and write are in the plan, by name only.
    const before = await treeOf(h.dataDir);
    const plan = await h.hiy(['plan']);
    assert.equal(plan.code, 0, plan.err);
    assert.match(plan.out, /\+ secret hiy\.generated\.db\.DB_PASSWORD will be generated for port\/db/);
    assert.match(plan.out, /~ secret hiy\.link\.app\.DATABASE_URL will be written for port\/app/);
    const json = await h.hiy(['plan', '--json']);
    assert.deepEqual(
      JSON.parse(json.out).secrets.map((x: { name: string; change: string }) => [x.name, x.change]),
      [
        ['hiy.generated.db.DB_PASSWORD', 'create'],
        ['hiy.link.app.DATABASE_URL', 'write'],
      ],
    );
    assert.deepEqual(await treeOf(h.dataDir), before, 'hiy plan leaves the data directory byte for byte');
    // Two applies at once: the secret is generated once, under the apply lock, and both agree on it.
    const [r, other] = await Promise.all([h.hiy(['apply']), h.hiy(['apply'])]);
    if (r.code !== 0) assert.fail(`${r.err}\n${await networkDiagnostics(h.instance)}`);
    assert.equal(other.code, 0, other.err);
    assert.equal([r, other].filter((x) => /No changes/.test(x.out)).length, 1, 'the second found it done');
    assert.equal(
      (await h.stores.secrets.list()).filter((x) => x.name === 'hiy.generated.db.DB_PASSWORD').length,
      1,
    );
    // Status plans like apply (declarations and links folded in): nothing is left pending.
    const status = JSON.parse((await h.hiy(['status', '--json'])).out) as {
      resources: { id: string; pending: boolean }[];
    };
    assert.deepEqual(
      status.resources.filter((x) => x.pending).map((x) => x.id),
      [],
    );
    const password = await h.stores.secrets.value('hiy.generated.db.DB_PASSWORD');
    assert.equal(password?.length, 24);
    assert.equal(
      await pageSays(h, 'app.test', '/db.txt', 'kv-of-db'),
      'kv-of-db',
      'the app reached the database by name',
    );
    assert.equal((await h.get('app.test', '/url.txt')).body.trim(), `kv://app:${password}@db:8080/`);
    const inspect = await execa('podman', ['inspect', `hiy-${h.instance}-app`, `hiy-${h.instance}-db`]);
    assert.ok(!inspect.stdout.includes(password!), 'the password is in no podman inspect');
  });

  it('links are the access list: only the linked workload reaches db, by name or address', async () => {
    const inst = h.instance;
    await h.commit({ 'ports/loner.yaml': lonerYaml });
    const r = await h.hiy(['apply']);
    if (r.code !== 0) assert.fail(`${r.out + r.err}\n${await networkDiagnostics(h.instance)}`);
    const dbOwn = await addressOn(`hiy-${inst}-db`, `hiy-${inst}.port.db`);
    const dbLink = await addressOn(`hiy-${inst}-db`, `hiy-${inst}_link.port.app.port.db`);
    const appOwn = await addressOn(`hiy-${inst}-app`, `hiy-${inst}.port.app`);
    for (const ip of [dbOwn, dbLink, appOwn]) assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    // Allowed: the linked workload, by name and by its link's address (which is fixed: the top of the subnet).
    assert.equal(await readDbFrom(`hiy-${inst}-app`), 'kv-of-db');
    assert.equal(await readDbFrom(`hiy-${inst}-app`, dbLink), 'kv-of-db');
    assert.match(dbLink, /\.254$/);
    // Refused: a workload of the instance that links to nothing; the link target back to its linker. A link's
    // address is never probed from outside the link: the host has no route to an internal network, so such a
    // packet would leave the box through its default route (docs/design.md, "Network isolation").
    for (const target of ['db', dbOwn])
      assert.equal(await readDbFrom(`hiy-${inst}-loner`, target), '', `loner reached db at ${target}`);
    for (const target of ['app', appOwn])
      assert.equal(
        await readDbFrom(`hiy-${inst}-loner`, target, '/url.txt'),
        '',
        `loner reached app at ${target}`,
      );
    assert.equal(
      await readDbFrom(`hiy-${inst}-db`, appOwn, '/url.txt'),
      '',
      'db reached the app linking to it',
    );
    // Refused: a container on Podman's default network, and one of another instance, by address and by name.
    await createInstanceNetwork(other);
    for (const [who, network] of [
      ['the default network', 'podman'],
      ['another instance', `hiy-${other}`],
    ] as const) {
      for (const [target, path] of [
        [dbOwn, '/value'],
        [appOwn, '/url.txt'],
        ['db', '/value'],
        ['app', '/url.txt'],
      ] as const) {
        const probe = await runOnNetwork(other, [BUSYBOX_IMAGE, 'sh', '-c', get(target, path)], network);
        assert.equal(probe.stdout.trim(), '', `${who} reached ${target}${path}: ${probe.all}`);
      }
    }
    // Caddy still reaches the routed app (its published loopback port), and a no-op apply stays one.
    assert.equal((await h.get('app.test', '/db.txt')).body.trim(), 'kv-of-db');
    const again = await h.hiy(['apply']);
    if (again.code !== 0) assert.fail(`${again.err}\n${await networkDiagnostics(h.instance)}`);
    assert.match(again.out, /No changes/);
  });

  it('an App built from source linked to the port gets DATABASE_URL and reaches it by name', async () => {
    const src = join(h.root, 'src', 'shop');
    await makeRepo(src, {
      Containerfile: `FROM localhost/hiy/busybox:latest\nCMD ["/bin/sh", "-c", ${JSON.stringify(APP_SCRIPT)}]\n`,
    });
    await h.commit({ 'apps/shop.yaml': shopYaml });
    const r = await h.hiy(['apply']);
    if (r.code !== 0) assert.fail(`${r.out + r.err}\n${await networkDiagnostics(h.instance)}`);
    const password = await h.stores.secrets.value('hiy.generated.db.DB_PASSWORD');
    assert.equal(
      await pageSays(h, 'shop.test', '/db.txt', 'kv-of-db'),
      'kv-of-db',
      'the App reached db by name',
    );
    assert.equal((await h.get('shop.test', '/url.txt')).body.trim(), `kv://app:${password}@db:8080/`);
    const inspect = await execa('podman', ['inspect', `hiy-${h.instance}-shop`]);
    assert.ok(
      !inspect.stdout.includes(password!),
      'the password is in neither the env nor the argv of the App',
    );
    assert.ok(
      inspect.stdout.includes(`hiy-${h.instance}-shop.DATABASE_URL.`),
      'it came as a Podman secret (the secret mechanism)',
    );
    const shopIp = await addressOn(`hiy-${h.instance}-shop`, `hiy-${h.instance}.app.shop`);
    const fromOther = await runOnNetwork(other, [
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      `printf "GET /url.txt HTTP/1.0\\r\\n\\r\\n" | nc -w 3 ${shopIp} 8080 | tail -1`,
    ]);
    assert.ok(!fromOther.stdout.includes('kv://'), `another instance reached the App: ${fromOther.stdout}`);
    const again = await h.hiy(['apply']);
    if (again.code !== 0) assert.fail(`${again.err}\n${await networkDiagnostics(h.instance)}`);
    assert.match(again.out, /No changes/);
  });

  it('a target taken off a link network is replaced by the next apply and reachable again', async () => {
    const network = `hiy-${h.instance}_link.app.shop.port.db`;
    assert.equal(await readDbFrom(`hiy-${h.instance}-shop`), 'kv-of-db');
    await execa('podman', ['network', 'disconnect', network, `hiy-${h.instance}-db`]);
    assert.equal(await readDbFrom(`hiy-${h.instance}-shop`), '', 'off the network, db cannot be reached');
    const plan = await h.hiy(['plan', '--json']);
    const replace = JSON.parse(plan.out).actions.filter(
      (a: { kind: string }) => a.kind === 'container.replace',
    );
    assert.deepEqual(
      replace.map((a: { address: string; reason: string }) => [a.address, a.reason]),
      [[`container/hiy-${h.instance}-db`, `not on ${network}`]],
    );
    const r = await h.hiy(['apply']);
    if (r.code !== 0) assert.fail(`${r.out + r.err}\n${await networkDiagnostics(h.instance)}`);
    assert.ok(r.out.includes(`not on ${network}`), r.out);
    assert.equal(await readDbFrom(`hiy-${h.instance}-shop`), 'kv-of-db', 'reachable by name again');
    assert.equal(await readDbFrom(`hiy-${h.instance}-app`), 'kv-of-db', 'from the Port linked to it too');
    const again = await h.hiy(['apply']);
    if (again.code !== 0) assert.fail(`${again.err}\n${await networkDiagnostics(h.instance)}`);
    assert.match(again.out, /No changes/);
    assert.equal(again.calls.podman + again.calls.caddy, 3, JSON.stringify(again.calls));
  });
});
