// Apps built from a git repository on the box: built once per commit, rebuilt on a new commit, a failed build changes nothing.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { git, type Harness, makeRepo, startHarness, webContainerfile } from '../support/hiy.js';

const APP = `apiVersion: hiy/v1
kind: App
metadata:
  name: blog
spec:
  source:
    git: ../src/blog
    branch: main
  routes:
    - host: blog.test
      port: 8080
  healthcheck:
    http: { path: /, port: 8080 }
    interval: 1s
    timeout: 20s
  stopGracePeriod: 1s
`;

describe('App built from a git repository on the box', () => {
  let h: Harness;
  let src: string;

  before(async () => {
    h = await startHarness({ 'blog.yaml': APP });
    src = join(h.root, 'src', 'blog');
    await makeRepo(src, { Containerfile: webContainerfile('v1') });
  });

  after(async () => {
    await h.cleanup(); // containers, volumes and the images built for this instance
  });

  it('builds the image tagged by commit, streams the build, and serves it', async () => {
    const commit = await git(src, ['rev-parse', 'HEAD']);
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, new RegExp(`\\+ image localhost/hiy-${h.instance}/blog:${commit.slice(0, 12)}`));
    assert.match(r.out, /│ .*STEP/);
    assert.equal((await h.get('blog.test')).body.trim(), 'v1');
  });

  it('does not rebuild or redeploy while the commit is the same', async () => {
    const r = await h.hiy(['apply']);
    assert.match(r.out, /No changes/);
  });

  it('a new commit is built and replaces the running version', async () => {
    await writeFile(join(src, 'Containerfile'), webContainerfile('v2'));
    await git(src, ['commit', '-qam', 'v2']);
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /-\/\+ container/);
    assert.equal((await h.get('blog.test')).body.trim(), 'v2');
  });

  it('a failing build exits non-zero and the running version keeps answering', async () => {
    await writeFile(join(src, 'Containerfile'), webContainerfile('v3', 'RUN exit 7'));
    await git(src, ['commit', '-qam', 'broken']);
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 1);
    assert.match(r.out + r.err, /image\/\S+: FAILED/);
    assert.equal((await h.get('blog.test')).body.trim(), 'v2');
    const status = JSON.parse((await h.hiy(['status', '--json'])).out);
    assert.match(status.resources[0].lastError, /build/i);
  });
});
