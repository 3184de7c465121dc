// The postgres port, run as HIY will run it: psql writes a row that survives an upgrade; dump writes into the volume.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { testInstance } from '../../support/podman.js';
import { ensurePortImage, PortTestbed, type RunningPort } from '../../support/portImages.js';

const VOLUMES = { data: '/var/lib/postgresql/data' };
const HEALTH = ['/usr/local/lib/hiy/health'];
const bed = new PortTestbed(testInstance('ppg'));

after(() => bed.cleanup());

/** psql on the host, over TCP with the password, as a linked app would connect. */
function psql(port: RunningPort, password: string, sql: string) {
  return execa(
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
      String(port.ports.get(5432)),
      '-U',
      'shop',
      'shop',
      '-c',
      sql,
    ],
    { env: { PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' }, reject: false, all: true },
  );
}

test('a row written with psql survives an upgrade; a new password is applied; dump writes all.sql into the volume', async () => {
  const image = await ensurePortImage('postgres');
  const env = {
    POSTGRES_DB: 'shop',
    POSTGRES_USER: 'shop',
    POSTGRES_PASSWORD: 'first-password-0123456789abcdef',
  };
  const check = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], { env, volumes: VOLUMES });
  assert.equal(check.exitCode, 0, check.output);

  const v1 = await bed.run({ image, env, volumes: VOLUMES, publish: [5432] });
  await bed.healthy(v1, HEALTH);
  const write = await psql(
    v1,
    env.POSTGRES_PASSWORD,
    "CREATE TABLE orders (id int, what text); INSERT INTO orders VALUES (1, 'tea');",
  );
  assert.equal(write.exitCode, 0, write.all);
  const wrong = await psql(v1, 'not-the-password', 'SELECT 1');
  assert.notEqual(wrong.exitCode, 0);
  assert.match(wrong.all ?? '', /password authentication failed/);
  const who = await bed.exec(v1, ['stat', '-c', '%U', '/proc/1']);
  assert.equal(who.output.trim(), 'postgres', 'the server (PID 1) runs as postgres');

  const dump = await bed.exec(v1, ['/usr/local/lib/hiy/dump'], 'dump');
  assert.equal(dump.exitCode, 0, dump.output);
  assert.match(dump.output, /dumped every database to \/var\/lib\/postgresql\/data\/dumps\/all\.sql/);
  const dumped = await bed.exec(v1, ['cat', '/var/lib/postgresql/data/dumps/all.sql']);
  assert.match(dumped.output, /CREATE DATABASE shop/);
  assert.match(dumped.output, /COPY public\.orders \(id, what\) FROM stdin;\n1\ttea/);

  // The upgrade: a new image version on the same volume, with a rotated password.
  const next = await ensurePortImage('postgres', '15.0.1-test');
  bed.ownImage(next);
  await bed.remove(v1);
  const rotated = { ...env, POSTGRES_PASSWORD: 'second-password-0123456789abcdef' };
  const v2 = await bed.run({ image: next, env: rotated, volumes: VOLUMES, publish: [5432] }, v1);
  await bed.healthy(v2, HEALTH);
  const read = await psql(v2, rotated.POSTGRES_PASSWORD, 'SELECT what FROM orders WHERE id = 1');
  assert.equal(read.exitCode, 0, read.all);
  assert.equal(read.stdout.trim(), 'tea');
  assert.notEqual(
    (await psql(v2, env.POSTGRES_PASSWORD, 'SELECT 1')).exitCode,
    0,
    'the old password is gone',
  );
});

test('check names the variable for an empty password or a bad name, and refuses a cluster of another major version', async () => {
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
    {
      volumes: old,
    },
  );
  assert.equal(made.exitCode, 0, made.output);
  const other = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
    env: { POSTGRES_PASSWORD: 'long-enough-password' },
    volumes: old,
  });
  assert.notEqual(other.exitCode, 0);
  assert.match(other.output, /holds a PostgreSQL 14 cluster and this image runs 15/);
});
