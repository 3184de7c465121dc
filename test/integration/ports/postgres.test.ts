// The postgres port deployed by HIY: a linked App writes a row by name over its link's network; an upgrade
// keeps it; a restored snapshot gives the database back; another major version without migrate is refused.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { LABEL_INSTANCE } from '../../../src/model/labels.js';
import { PORT_LABEL } from '../../../src/model/portContract.js';
import { labelText } from '../../../src/ports/toolkit.js';
import { listSnapshots } from '../../../src/snapshots/snapshot.js';
import { type Harness, makeRepo, startHarness } from '../../support/hiy.js';
import {
  addressOn,
  cleanupInstance,
  createInstanceNetwork,
  runOnNetwork,
  testInstance,
} from '../../support/podman.js';
import { ensurePortImage, PortTestbed } from '../../support/portImages.js';
import { freePort } from '../../support/ports.js';

const PASSWORD_SECRET = 'hiy.generated.db.POSTGRES_PASSWORD';

const dbYaml = (image: string, hostPort: number) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: db
spec:
  image: ${image}
  env: { POSTGRES_DB: shop, POSTGRES_USER: shop }
  ports:
    - { containerPort: 5432, hostPort: ${hostPort}, hostIP: 127.0.0.1 }
`;

/**
 * The linked App: built by HIY from its own git repository, FROM the port's image only to get psql. It writes
 * row 1 over DATABASE_URL (retrying until the database answers), keeps the URL it got for the test, and idles.
 */
const APP_SCRIPT = `#!/bin/bash
set -u
echo "$DATABASE_URL" > /tmp/database-url
until psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c \\
  "CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, what text); INSERT INTO orders VALUES (1, 'tea') ON CONFLICT DO NOTHING"
do sleep 1; done
touch /tmp/wrote
exec sleep infinity
`;
const APP_CONTAINERFILE = `FROM localhost/hiy-ports/postgres:15.0.0
COPY app.sh /app.sh
ENTRYPOINT ["/bin/bash", "/app.sh"]
`;
const APP_YAML = `apiVersion: hiy/v1
kind: App
metadata:
  name: shop
spec:
  source:
    git: ../src/shop
    branch: main
  links: [port/db]
  healthcheck:
    command: [test, -f, /tmp/wrote]
    interval: 1s
    timeout: 60s
  stopGracePeriod: 1s
`;

describe('the postgres port deployed by HIY', () => {
  let h: Harness;
  let hostPort: number;
  let upgrade: string | undefined;
  const other = testInstance('o');
  const container = (name: string) => `hiy-${h.instance}-${name}`;
  const volume = () => `hiy-${h.instance}-db-data`;
  const password = async () => (await h.stores.secrets.value(PASSWORD_SECRET)) ?? '';

  /** psql on the host, over TCP with the password, as a linked app would connect. */
  const psql = async (sql: string, pw?: string) =>
    execa(
      'psql',
      [
        '-X',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        '127.0.0.1',
        '-p',
        String(hostPort),
        '-U',
        'shop',
        'shop',
      ],
      {
        env: { PGPASSWORD: pw ?? (await password()), PGCONNECT_TIMEOUT: '5' },
        input: sql,
        reject: false,
        all: true,
      },
    );
  const rows = async () => {
    const r = await psql('SELECT id, what FROM orders ORDER BY id');
    assert.equal(r.exitCode, 0, r.all);
    return r.stdout.trim();
  };

  before(async () => {
    h = await startHarness();
    hostPort = await freePort();
    await makeRepo(join(h.root, 'src', 'shop'), { Containerfile: APP_CONTAINERFILE, 'app.sh': APP_SCRIPT });
  });
  after(async () => {
    await h.cleanup();
    await cleanupInstance(other);
    if (upgrade) await execa('podman', ['rmi', '-f', upgrade], { reject: false });
  });

  it('an App linked to it gets DATABASE_URL as a secret, reaches the port by name and writes a row', async () => {
    const image = await ensurePortImage('postgres');
    await h.commit({ 'ports/db.yaml': dbYaml(image, hostPort), 'apps/shop.yaml': APP_YAML });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);

    const pw = await password();
    assert.equal(pw.length, 32, 'HIY generated the password');
    const url = await execa('podman', ['exec', container('shop'), 'cat', '/tmp/database-url']);
    assert.equal(url.stdout.trim(), `postgres://shop:${pw}@db:5432/shop`, 'the port by its name, db');
    assert.equal(await rows(), '1|tea', 'the App wrote its row');
    const inspect = await execa('podman', ['inspect', container('shop'), container('db')]);
    assert.ok(!inspect.stdout.includes(pw), 'the password is in no podman inspect (Config.Env, argv)');
    for (const c of JSON.parse(inspect.stdout) as { Config: { Env: string[] }; Args: string[] }[]) {
      assert.ok(
        !c.Config.Env.some((e) => e.startsWith('DATABASE_URL=') || e.startsWith('POSTGRES_PASSWORD=')),
      );
      assert.ok(!c.Args.join(' ').includes(pw));
    }

    const wrong = await psql('SELECT 1', 'not-the-password');
    assert.notEqual(wrong.exitCode, 0);
    assert.match(wrong.all ?? '', /password authentication failed/);
    const who = await execa('podman', ['exec', container('db'), 'stat', '-c', '%U', '/proc/1']);
    assert.equal(who.stdout.trim(), 'postgres', 'the server (PID 1) runs as postgres');
  });

  it('only over its link: not from the default network nor another instance', async () => {
    const link = `hiy-${h.instance}_link.app.shop.port.db`;
    const own = await addressOn(container('db'), `hiy-${h.instance}.port.db`);
    const linked = await addressOn(container('db'), link);
    for (const ip of [own, linked]) assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    await createInstanceNetwork(other);
    const probe = (network: string, ip: string) =>
      runOnNetwork(
        other,
        [
          '--entrypoint',
          '/usr/lib/postgresql/15/bin/pg_isready',
          'localhost/hiy-ports/postgres:15.0.0',
          ...['-h', ip, '-p', '5432', '-t', '3'],
        ],
        network,
      );
    // On the link's network (where only shop is), it answers: the probe itself works.
    const there = await probe(link, linked);
    assert.equal(there.exitCode, 0, `reachable over the link: ${there.all}`);
    // The link's address is not probed from outside the link: the host has no route to an internal network, so
    // the packet would leave the box through its default route (docs/design.md, "Network isolation").
    for (const network of ['podman', `hiy-${other}`]) {
      const r = await probe(network, own);
      assert.equal(r.exitCode, 2, `not from ${network} at ${own}: ${r.all}`);
    }
  });

  it('an upgrade of the port (with a rotated password) keeps the row; the dump is in the pre-upgrade snapshot', async () => {
    upgrade = await ensurePortImage('postgres', '15.0.1-test');
    const before = await password();
    assert.equal((await h.hiy(['secret', 'rm', PASSWORD_SECRET])).code, 0);
    await h.commit({ 'ports/db.yaml': dbYaml(upgrade, hostPort) });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    const image = await execa('podman', ['inspect', '--format', '{{.ImageName}}', container('db')]);
    assert.equal(image.stdout.trim(), upgrade);

    assert.equal(await rows(), '1|tea', 'the row survived the upgrade');
    const rotated = await password();
    assert.equal(rotated.length, 32);
    assert.notEqual(rotated, before, 'a new password was generated');
    assert.notEqual((await psql('SELECT 1', before)).exitCode, 0, 'the old password is gone');
    const url = await execa('podman', ['exec', container('shop'), 'cat', '/tmp/database-url']);
    assert.equal(
      url.stdout.trim(),
      `postgres://shop:${rotated}@db:5432/shop`,
      'the App follows the new password',
    );

    // The dump hook ran in the old container before the snapshot: a consistent copy of the database is inside.
    const [snap] = await listSnapshots({ podman: undefined as never, dataDir: h.dataDir }, volume());
    assert.equal(snap?.reason, 'upgrade');
    assert.equal(snap?.dataVersion, 15);
    const archive = join(h.dataDir, 'snapshots', volume(), snap!.id, 'archive.tar');
    const dumped = await execa('tar', ['-xOf', archive, './dumps/all.sql']).catch(() =>
      execa('tar', ['-xOf', archive, 'dumps/all.sql']),
    );
    assert.match(dumped.stdout, /CREATE DATABASE shop/);
    assert.match(dumped.stdout, /COPY public\.orders \(id, what\) FROM stdin;\n1\ttea/);
  });

  it('hiy snapshot restore gives back the database as of the snapshot', async () => {
    const taken = await h.hiy(['snapshot', 'create', 'db', '--json']);
    assert.equal(taken.code, 0, taken.out + taken.err);
    const [snap] = JSON.parse(taken.out).snapshots as { id: string; volume: string }[];
    const dump = await execa('podman', [
      'exec',
      container('db'),
      'cat',
      '/var/lib/postgresql/data/dumps/all.sql',
    ]);
    assert.match(dump.stdout, /1\ttea/, 'hiy snapshot create ran the dump hook first');

    // The command returned once the port passed its health check again: it takes logins at once.
    const write = await psql("INSERT INTO orders VALUES (2, 'coffee')");
    assert.equal(write.exitCode, 0, write.all);
    assert.equal(await rows(), '1|tea\n2|coffee');

    const r = await h.hiy(['snapshot', 'restore', `${snap!.volume}/${snap!.id}`, '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(JSON.parse(r.out).restarted, [container('db')]);
    assert.equal(await rows(), '1|tea', 'the row written after the snapshot is gone');
  });

  it('an image of another major version without migrate is refused by the plan; nothing changes', async () => {
    const declared = JSON.parse(
      (await execa('podman', ['image', 'inspect', '--format', `{{index .Labels "${PORT_LABEL}"}}`, upgrade!]))
        .stdout,
    );
    const { migrate: _none, ...hooks } = declared.hooks ?? {};
    const v16 = `localhost/hiy-test/${h.instance}-postgres:16.0.0`;
    const dir = join(h.root, 'postgres-16');
    await mkdir(dir);
    await writeFile(join(dir, 'Containerfile'), `FROM ${upgrade}\n`);
    await execa('podman', [
      'build',
      '-q',
      '-t',
      v16,
      '--label',
      `${LABEL_INSTANCE}=${h.instance}`,
      '--label',
      `${PORT_LABEL}=${labelText({ ...declared, version: '16.0.0', dataVersion: 16, hooks })}`,
      dir,
    ]);
    const id = async () =>
      (await execa('podman', ['inspect', '--format', '{{.Id}}', container('db')])).stdout;
    const running = await id();
    await h.commit({ 'ports/db.yaml': dbYaml(v16, hostPort) });

    const plan = await h.hiy(['plan']);
    assert.notEqual(plan.code, 0);
    assert.match(
      plan.err,
      /ports\/db\.yaml:6:\d+: spec\.image: port postgres 16\.0\.0 keeps data of version 16, the data of port\/db is at version 15, and the port has no migrate hook/,
    );
    assert.match(
      plan.err,
      /keep spec\.image at localhost\/hiy-ports\/postgres:15\.0\.1-test \(release \d+, data version 15\), or use an image of port postgres that ships a migrate hook from data version 15 to 16/,
    );
    const apply = await h.hiy(['apply']);
    assert.notEqual(apply.code, 0);
    assert.equal(await id(), running, 'the running container is untouched');
    assert.equal(await rows(), '1|tea');
  });
});

/** The check hook itself, in one-off containers of the image (what HIY runs before a first start). */
describe('the postgres check hook', () => {
  const bed = new PortTestbed(testInstance('ppg'));
  after(() => bed.cleanup());

  it('names the variable for an empty password or a bad name, and refuses a cluster of another major version', async () => {
    const image = await ensurePortImage('postgres');
    const bad = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
      env: { POSTGRES_DB: 'My-Db', POSTGRES_PASSWORD: '' },
    });
    assert.notEqual(bad.exitCode, 0);
    assert.match(bad.output, /POSTGRES_PASSWORD is empty: it must hold the password of POSTGRES_USER/);
    assert.match(bad.output, /POSTGRES_DB="My-Db" is not a usable database name/);

    const old = { olddata: '/var/lib/postgresql/data' };
    const made = await bed.hook(
      image,
      'check',
      ['bash', '-c', 'mkdir -p "$PGDATA" && echo 14 >"$PGDATA/PG_VERSION"'],
      { volumes: old },
    );
    assert.equal(made.exitCode, 0, made.output);
    const other = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
      env: { POSTGRES_PASSWORD: 'long-enough-password' },
      volumes: old,
    });
    assert.notEqual(other.exitCode, 0);
    assert.match(other.output, /holds a PostgreSQL 14 cluster and this image runs 15/);
  });
});
