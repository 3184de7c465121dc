// The web port deployed by HIY: a file uploaded with real sftp is served through HIY's Caddy; 404s, headers, no listing,
// nothing outside the site through symlinks, no forwarding over the SFTP login.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { startHarness } from '../../support/hiy.js';
import { testInstance } from '../../support/podman.js';
import { freeHostPorts, portYaml } from '../../support/portDeploy.js';
import { ensurePortImage, PortTestbed } from '../../support/portImages.js';
import { waitFor } from '../../support/ports.js';
import { throughLocalForward } from '../../support/sshForward.js';

const HOST = 'site.test';
const bed = new PortTestbed(testInstance('pweb'));
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hiy-port-web-'));
});

after(async () => {
  await bed.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** One raw HTTP GET through HIY's Caddy with a Host header (no decompression), so headers are seen as sent. */
function get(port: number, urlPath: string, headers: Record<string, string> = {}) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: urlPath, headers: { Host: HOST, ...headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('sftp uploads a page that nginx serves through Caddy with gzip, cache and security headers; 404s are the custom page', async (t) => {
  const h = await startHarness();
  t.after(() => h.cleanup());
  const key = path.join(dir, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'owner', '-f', key]);
  const env = { AUTHORIZED_KEYS: await readFile(`${key}.pub`, 'utf8') };
  const image = await ensurePortImage('web');
  // The site is routed by Caddy; only SFTP is published on a host port. hiy apply runs the check hook first.
  const publish = await freeHostPorts(2222);
  await h.commit({
    'ports/web.yaml': portYaml('web', { image, env, publish, routes: [{ host: HOST, port: 8080 }] }),
  });
  const apply = await h.hiy(['apply']);
  assert.equal(apply.code, 0, apply.err);
  assert.match(apply.out, /running the check hook of port web 1\.1\.0/);
  const container = `hiy-${h.instance}-web`;
  const http = h.caddy.httpPort;

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
  const sftpPort = String(publish[2222]);
  const sftpArgs = ['-P', sftpPort, ...options, '-b', path.join(dir, 'batch'), 'web@127.0.0.1'];
  const up = await waitFor(
    async () => {
      const r = await execa('sftp', sftpArgs, { reject: false, all: true });
      return r.exitCode === 0 ? r : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: 'sftp upload' },
  );
  assert.match(up!.all ?? '', /Remote working directory: \/public/);

  // Through HIY's Caddy, as a visitor sees it.
  const plain = await h.get(HOST, '/hello.html');
  assert.equal(plain.status, 200);
  assert.equal(plain.body, page);
  const served = await get(http, '/hello.html', { 'accept-encoding': 'gzip' });
  assert.equal(served.status, 200);
  assert.equal(served.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(served.body).toString(), page);
  assert.equal(served.headers['cache-control'], 'no-cache');
  assert.equal(served.headers['x-content-type-options'], 'nosniff');
  assert.equal(served.headers['x-frame-options'], 'SAMEORIGIN');
  assert.ok(served.headers['referrer-policy']);
  // Caddy answers as itself; nginx behind it (on the loopback port HIY gave Caddy) shows no version either.
  assert.equal(served.headers.server, 'Caddy', 'no version in the Server header');
  const upstream = (await execa('podman', ['port', container, '8080'])).stdout.trim().split('\n')[0]!;
  const direct = await get(Number(upstream.split(':').pop()), '/hello.html');
  assert.equal(direct.status, 200);
  assert.equal(direct.headers.server, 'nginx', "no version in nginx's Server header");

  const css = await get(http, '/style.css');
  assert.equal(css.status, 200);
  assert.equal(css.headers['cache-control'], 'public, max-age=3600');

  const missing = await get(http, '/no/such/page');
  assert.equal(missing.status, 404);
  assert.match(missing.body.toString(), /There is no page at this address/);
  const listing = await get(http, '/empty/');
  assert.equal(listing.status, 404, 'a directory without index.html is not listed');

  // nginx logs each request on stdout (hiy logs); nginx's workers run as www-data.
  const logs = await h.hiy(['logs', 'web']);
  assert.equal(logs.code, 0, logs.err);
  assert.match(logs.out + logs.err, /"GET \/hello\.html HTTP\/1\.1" 200/);
  const workers = await execa('podman', [
    'exec',
    container,
    'bash',
    '-c',
    'for p in /proc/[0-9]*; do [[ "$(cat $p/comm)" == nginx ]] && stat -c %U $p; done | sort | uniq -c',
  ]);
  assert.match(workers.stdout, /\d+ www-data/);

  // A shell over the SFTP login is refused (ForceCommand internal-sftp).
  const shell = await execa('ssh', ['-p', sftpPort, ...options, 'web@127.0.0.1', 'id'], {
    reject: false,
    all: true,
  });
  assert.notEqual(shell.exitCode, 0);
  assert.doesNotMatch(shell.stdout, /uid=/);

  // Nor does the SFTP login forward anything: ssh -L to the container's own sshd brings nothing through.
  const forward = await throughLocalForward(['-p', sftpPort, ...options, 'web@127.0.0.1'], '127.0.0.1:2222');
  assert.equal(forward.received, '', 'nothing comes through a refused forwarding');
  assert.match(forward.log, /administratively prohibited/);

  // SFTP makes no symlinks: through a link nginx (outside the chroot) would serve any file of the container.
  await writeFile(
    path.join(dir, 'batch'),
    '-symlink /etc/passwd passwd.txt\n-symlink / root\n-symlink /proc/self/cwd proc\nls -l\n',
  );
  const linked = await execa('sftp', sftpArgs, { reject: false, all: true });
  assert.equal(linked.exitCode, 0, linked.all);
  assert.equal(linked.all?.match(/symlink .*: Permission denied/g)?.length, 3, linked.all);
  const listed = linked.stdout.split('\n').filter((l) => !l.startsWith('sftp>'));
  assert.match(listed.join('\n'), /hello\.html/);
  assert.doesNotMatch(listed.join('\n'), /passwd\.txt|root|proc/, 'no link was made');

  // Links already in the site (as a volume of an older version may hold, made by the SFTP user) are followed
  // only inside it: links to /etc/passwd, to / (the nginx config, the SFTP host keys) and to the host keys are
  // refused through Caddy; a link to an uploaded page still works.
  const plant = await execa('podman', [
    'exec',
    '-w',
    '/srv/www/public',
    container,
    'setpriv',
    '--reuid=web',
    '--regid=web',
    '--clear-groups',
    'sh',
    '-c',
    'ln -s /etc/passwd passwd.txt && ln -s / root && ln -s /var/lib/hiy-ssh keys && ln -s hello.html again.html',
  ]);
  assert.equal(plant.exitCode, 0);
  for (const urlPath of [
    '/passwd.txt',
    '/root/etc/passwd',
    '/root/etc/nginx/nginx.conf',
    '/root/var/lib/hiy-ssh/ssh_host_ed25519_key.pub',
    '/keys/ssh_host_ed25519_key.pub',
    '/root/srv/www/public/hello.html',
  ]) {
    const r = await get(http, urlPath);
    assert.ok(r.status === 403 || r.status === 404, `${urlPath}: ${r.status}`);
    assert.doesNotMatch(
      r.body.toString(),
      /root:x:0:0|worker_processes|ssh-ed25519|uploaded with sftp/,
      urlPath,
    );
  }
  const again = await h.get(HOST, '/again.html');
  assert.equal(again.status, 200, 'a link inside the site is followed');
  assert.equal(again.body, page);

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
