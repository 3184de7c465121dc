// The web port, run as HIY will run it: a file uploaded with real sftp is served; 404s, headers, no listing.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { testInstance } from '../../support/podman.js';
import { ensurePortImage, PortTestbed } from '../../support/portImages.js';
import { waitFor } from '../../support/ports.js';

const VOLUMES = { site: '/srv/www', hostkeys: '/var/lib/hiy-ssh' };
const bed = new PortTestbed(testInstance('pweb'));
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hiy-port-web-'));
});

after(async () => {
  await bed.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** One raw HTTP GET (no decompression), so headers are seen as sent. */
function get(port: number, urlPath: string, headers: Record<string, string> = {}) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

test('sftp uploads a page that nginx serves with gzip, cache and security headers; 404s are the custom page', async () => {
  const key = path.join(dir, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'owner', '-f', key]);
  const env = { AUTHORIZED_KEYS: await readFile(`${key}.pub`, 'utf8') };
  const image = await ensurePortImage('web');
  const check = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], { env, volumes: VOLUMES });
  assert.equal(check.exitCode, 0, check.output);
  const web = await bed.run({ image, env, volumes: VOLUMES, publish: [8080, 2222] });
  await bed.healthy(web, [
    'bash',
    '-c',
    'exec 3<>/dev/tcp/127.0.0.1/8080 && exec 4<>/dev/tcp/127.0.0.1/2222',
  ]);
  const http = web.ports.get(8080)!;

  // The placeholder page is there before any upload.
  assert.match((await get(http, '/')).body.toString(), /It works/);

  const page = `<!doctype html><title>hello</title><p>${'uploaded with sftp '.repeat(40)}</p>\n`;
  await mkdir(path.join(dir, 'site', 'empty'), { recursive: true });
  await writeFile(path.join(dir, 'site', 'hello.html'), page);
  await writeFile(path.join(dir, 'site', 'style.css'), `body { color: red; }\n`.repeat(30));
  await writeFile(
    path.join(dir, 'batch'),
    `put ${dir}/site/hello.html\nput ${dir}/site/style.css\n-mkdir empty\npwd\n`,
  );
  const options = [
    '-i',
    key,
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`,
  ];
  const sftpPort = String(web.ports.get(2222));
  const sftpArgs = ['-P', sftpPort, ...options, '-b', path.join(dir, 'batch'), 'web@127.0.0.1'];
  const up = await waitFor(
    async () => {
      const r = await execa('sftp', sftpArgs, { reject: false, all: true });
      return r.exitCode === 0 ? r : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: 'sftp upload' },
  );
  assert.match(up!.all ?? '', /Remote working directory: \/public/);

  const served = await get(http, '/hello.html', { 'accept-encoding': 'gzip' });
  assert.equal(served.status, 200);
  assert.equal(served.headers['content-encoding'], 'gzip');
  assert.equal((await import('node:zlib')).gunzipSync(served.body).toString(), page);
  assert.equal(served.headers['cache-control'], 'no-cache');
  assert.equal(served.headers['x-content-type-options'], 'nosniff');
  assert.equal(served.headers['x-frame-options'], 'SAMEORIGIN');
  assert.ok(served.headers['referrer-policy']);
  assert.equal(served.headers.server, 'nginx', 'no version in the Server header');

  const css = await get(http, '/style.css');
  assert.equal(css.status, 200);
  assert.equal(css.headers['cache-control'], 'public, max-age=3600');

  const missing = await get(http, '/no/such/page');
  assert.equal(missing.status, 404);
  assert.match(missing.body.toString(), /There is no page at this address/);
  const listing = await get(http, '/empty/');
  assert.equal(listing.status, 404, 'a directory without index.html is not listed');

  // nginx logs each request on stdout (hiy logs); nginx's workers run as www-data.
  assert.match(await bed.logs(web), /"GET \/hello\.html HTTP\/1\.1" 200/);
  const workers = await bed.exec(web, [
    'bash',
    '-c',
    'for p in /proc/[0-9]*; do [[ "$(cat $p/comm)" == nginx ]] && stat -c %U $p; done | sort | uniq -c',
  ]);
  assert.match(workers.output, /\d+ www-data/);

  // A shell over the SFTP login is refused (ForceCommand internal-sftp).
  const shell = await execa('ssh', ['-p', sftpPort, ...options, 'web@127.0.0.1', 'id'], {
    reject: false,
    all: true,
  });
  assert.notEqual(shell.exitCode, 0);
  assert.doesNotMatch(shell.stdout, /uid=/);

  // The site's own 404.html replaces the port's.
  await writeFile(path.join(dir, 'site', '404.html'), '<p>my own not found</p>\n');
  await writeFile(path.join(dir, 'batch'), `put ${dir}/site/404.html\n`);
  await execa('sftp', sftpArgs);
  const own = await get(http, '/gone');
  assert.equal(own.status, 404);
  assert.equal(own.body.toString(), '<p>my own not found</p>\n');
});

test('check refuses a missing AUTHORIZED_KEYS and a bad ASSET_MAX_AGE, naming the variable', async () => {
  const image = await ensurePortImage('web');
  const r = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
    env: { AUTHORIZED_KEYS: '  \n', ASSET_MAX_AGE: 'an hour' },
  });
  assert.notEqual(r.exitCode, 0);
  assert.match(r.output, /AUTHORIZED_KEYS is empty: it must hold at least one SSH public key/);
  assert.match(r.output, /ASSET_MAX_AGE="an hour" is not a number of seconds/);
});
