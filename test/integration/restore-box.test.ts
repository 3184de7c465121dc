// Disaster recovery: every container, volume and the data directory of an instance deleted, then
// `hiy restore-box` from the state repo and the backup repository brings back the services, their data and HIY's
// own state (secrets, releases), with real restic, Podman and Caddy.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { git, type Harness, makeRepo, startHarness, webPort } from '../support/hiy.js';

const PASSWORD = 'restore the whole box 93be';
/** The postgres port image `make setup ports` built on the box (not rebuilt here). */
const POSTGRES = 'localhost/hiy-ports/postgres:15.0.0';
const DB_PASSWORD_SECRET = 'hiy.generated.db.POSTGRES_PASSWORD';

const dbYaml = `apiVersion: hiy/v1
kind: Port
metadata:
  name: db
spec:
  image: ${POSTGRES}
  env: {POSTGRES_DB: shop, POSTGRES_USER: shop}
  stopGracePeriod: 5s
`;

describe('hiy restore-box (real restic, local path)', () => {
  let h: Harness;
  let repo: string;
  let passwordFile: string;
  let container: string;
  const sh = (script: string) => execa('podman', ['exec', container, 'sh', '-c', script]);
  /** psql inside the database's container, over TCP with the password HIY generated (from its secret store). */
  const psql = async (sql: string) =>
    execa(
      'podman',
      [
        'exec',
        '-e',
        `PGPASSWORD=${(await h.stores.secrets.value(DB_PASSWORD_SECRET)) ?? ''}`,
        `hiy-${h.instance}-db`,
        'psql',
        '-X',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        '127.0.0.1',
        '-U',
        'shop',
        'shop',
        '-c',
        sql,
      ],
      { reject: false, all: true },
    );
  const owned = async (what: 'ps' | 'volume') => {
    const args =
      what === 'ps'
        ? ['ps', '-a', '--filter', `label=hiy.instance=${h.instance}`, '--format', '{{.Names}}']
        : ['volume', 'ls', '--filter', `label=hiy.instance=${h.instance}`, '--format', '{{.Name}}'];
    return (await execa('podman', args)).stdout.split('\n').filter(Boolean);
  };

  /** A hosted repository of an App's source, as git-shell makes it (bare, HEAD on the branch), and a clone. */
  const hosted = () => join(h.dataDir, 'repos', 'site.git');
  let work: string;
  let refsBefore: string;
  const refs = (gitDir: string) => git(gitDir, ['for-each-ref', '--format=%(refname) %(objectname)']);

  before(async () => {
    h = await startHarness({
      'files.yaml': webPort('files', 'files.test', { volume: true }),
      'db.yaml': dbYaml,
    });
    repo = join(h.root, 'offsite-repo');
    passwordFile = join(h.root, 'restic-password');
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    await h.commit({
      'backup.yaml': `apiVersion: hiy/v1
kind: Backup
metadata: {name: offsite}
spec:
  repository: ${repo}
  passwordSecret: restic-password
  keep: {last: 3}
`,
    });
    await h.stores.secrets.set('restic-password', PASSWORD);
    await h.stores.secrets.set('unrelated-token', 'token-value-5521');
    container = `hiy-${h.instance}-files`;
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.out + applied.err);
    await sh(
      'mkdir -p /data/mail/cur && echo "Subject: kept" > /data/mail/cur/1 && echo home > /data/home.txt',
    );
    const w = await psql(
      "CREATE TABLE orders (id int PRIMARY KEY, what text); INSERT INTO orders VALUES (1, 'tea'), (2, 'cake')",
    );
    assert.equal(w.exitCode, 0, w.all);
    // Pushed with `git push` only: the source exists nowhere else on the box.
    await execa('git', ['init', '--bare', '-q', hosted()]);
    await git(hosted(), ['symbolic-ref', 'HEAD', 'refs/heads/main']);
    work = join(h.root, 'site-work');
    await makeRepo(work, { 'index.html': 'v1' });
    await git(work, ['tag', '-a', 'v1', '-m', 'first']);
    await git(work, ['checkout', '-q', '-b', 'feature']);
    await writeFile(join(work, 'index.html'), 'feature');
    await git(work, ['commit', '-qam', 'feature']);
    await git(work, ['checkout', '-q', 'main']);
    await git(work, ['push', '-q', '--all', hosted()]);
    await git(work, ['push', '-q', '--tags', hosted()]);
    refsBefore = await refs(hosted());
    assert.equal(refsBefore.split('\n').length, 3, refsBefore);
  });

  after(() => h.cleanup());

  it("backup now of the whole box copies HIY's own state too", async () => {
    const r = await h.hiy(['backup', 'now', '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    const run = JSON.parse(r.out);
    assert.equal(run.volumes.length, 2, JSON.stringify(run.failures));
    assert.ok(run.boxState?.id, 'the box state has its own restic snapshot');
    const snaps = JSON.parse(
      (
        await execa('restic', ['snapshots', '--json', '--tag', 'hiy.box-state=1'], {
          env: { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASSWORD },
        })
      ).stdout,
    );
    assert.equal(snaps.length, 1);
    // Each hosted git repository as a bundle of its own, listed by `hiy backup list`.
    assert.deepEqual(
      run.repos.map((x: { repo: string }) => x.repo),
      ['site'],
    );
    const list = await h.hiy(['backup', 'list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /Hosted git repositories:\n.*\n\w{8}\s+\S+ \S+\s+site\n/);
    const listed = JSON.parse((await h.hiy(['backup', 'list', '--json'])).out);
    assert.equal(listed.repositories[0].repo, 'site');
  });

  it('refuses on a box that is not empty, touching nothing', async () => {
    const r = await h.hiy(['restore-box', '--backup', 'offsite', '--password-file', passwordFile]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /restore-box brings back an empty box only; instance "\S+" has: 2 container\(s\)/);
    assert.equal((await h.get('files.test')).status, 200);
  });

  it('after every container, volume and the data directory are gone, brings all back and serves', async () => {
    for (const c of await owned('ps')) await execa('podman', ['rm', '-f', '-t', '0', c]);
    for (const v of await owned('volume')) await execa('podman', ['volume', 'rm', '-f', v]);
    await rm(h.dataDir, { recursive: true, force: true });
    assert.deepEqual(await owned('ps'), []);
    assert.deepEqual(await owned('volume'), []);

    const r = await h.hiy(['restore-box', '--backup', 'offsite', '--password-file', passwordFile]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /Restored HIY's state \(.*secrets.*releases.*\) from .* and 2 volume\(s\)/);
    assert.match(r.out, /Apply complete/);
    assert.ok(!`${r.out}${r.err}`.includes(PASSWORD), 'the password is never printed');

    assert.equal((await h.get('files.test')).status, 200);
    assert.equal((await sh('cat /data/mail/cur/1')).stdout.trim(), 'Subject: kept');
    assert.equal((await sh('cat /data/home.txt')).stdout.trim(), 'home');
    // The database's rows, read with the password HIY generated on the old box (restored with the secrets).
    const rows = await psql('SELECT id, what FROM orders ORDER BY id');
    assert.equal(rows.exitCode, 0, rows.all);
    assert.equal(rows.stdout.trim(), '1|tea\n2|cake');
    // HIY's own state came back: the secret store (its salt too: the same digests) and the releases.
    assert.equal(await h.stores.secrets.value('unrelated-token'), 'token-value-5521');
    assert.equal(await h.stores.secrets.value('restic-password'), PASSWORD);
    assert.ok((await h.stores.releases.list('port/files')).length >= 1);
    // The hosted repository: the same refs, HEAD on the same branch, whole; and `git push` goes on.
    assert.match(r.out, /git repository site: backup \w{8}, 3 refs, checked/);
    assert.equal(await refs(hosted()), refsBefore);
    assert.equal(await git(hosted(), ['symbolic-ref', 'HEAD']), 'refs/heads/main');
    await git(hosted(), ['fsck', '--no-progress']);
    await writeFile(join(work, 'index.html'), 'v2');
    await git(work, ['commit', '-qam', 'after the restore']);
    await git(work, ['push', '-q', hosted(), 'main']);
    assert.equal(await git(hosted(), ['rev-parse', 'main']), await git(work, ['rev-parse', 'main']));
    // Nothing left over: no scratch volume, the staging folder empty.
    const vols = (await execa('podman', ['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
    assert.deepEqual(
      vols.filter((v) => v.startsWith(`hiy-${h.instance}-scratch-`)),
      [],
    );
    // And the restored box backs up again into the same repository.
    const again = await h.hiy(['backup', 'now']);
    assert.equal(again.code, 0, again.out + again.err);
  });
});
