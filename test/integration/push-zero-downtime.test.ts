// A second git push of a generated-stack App while a client keeps requesting it through Caddy: the default health
// check gates the switch (start-first), so no request fails and the new text is served.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { git, type Harness, makeRepo, startHarness } from '../support/hiy.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand, userYaml } from '../support/sshd.js';

const STACK_IMAGES = new URL('../../images/runtime/debian.sh', import.meta.url).pathname;
/** How long a client waits between two requests. */
const PROBE_EVERY_MS = 50;

/** An App without a health check: the generated build gets the default one (HTTP GET / on $PORT). */
const APP = `apiVersion: hiy/v1
kind: App
metadata:
  name: site
spec:
  source:
    repo: site
    branch: main
  routes:
    - host: site.test
      port: 8080
  stopGracePeriod: 1s
`;

const page = (text: string) => `<?php echo "${text}\\n";\n`;

/** What a client saw while requests flowed. */
interface Probe {
  ok: number;
  failed: string[];
  bodies: string[];
}

describe('zero downtime during a git push', () => {
  let h: Harness;
  let sshd: RunningSshd;
  let alice: ClientKey;
  let dir: string;

  async function push() {
    return sshd.git(alice, dir, ['push', '--porcelain', sshd.url('site'), 'main']);
  }

  before(async () => {
    await execa(STACK_IMAGES, ['php']);
    sshd = await startSshd();
    alice = await sshd.newKey('alice');
    h = await startHarness({
      'users.yaml': userYaml('alice', alice, [{ app: 'site', role: 'deploy' as const }]),
      'apps.yaml': APP,
    });
    const r = await h.hiy(['authorized-keys', '--out', sshd.authorizedKeysFile], {
      HIY_SELF: JSON.stringify(testSelfCommand()),
    });
    assert.equal(r.code, 0, r.err);
    dir = join(h.root, 'site');
  });

  after(async () => {
    await sshd?.stop();
    await h?.cleanup();
  });

  it('a client requesting every 50 ms sees no failed request while the second push deploys', async (t) => {
    await makeRepo(dir, { 'index.php': page('v1') });
    const first = await push();
    assert.equal(first.code, 0, first.stderr);
    assert.equal((await h.get('site.test')).body.trim(), 'v1');

    await writeFile(join(dir, 'index.php'), page('v2'));
    await git(dir, ['commit', '-qam', 'v2']);
    const seen: Probe = { ok: 0, failed: [], bodies: [] };
    let running = true;
    const probe = (async () => {
      while (running) {
        const at = Date.now();
        try {
          const res = await h.get('site.test');
          if (res.status === 200) {
            seen.ok++;
            if (seen.bodies.at(-1) !== res.body.trim()) seen.bodies.push(res.body.trim());
          } else seen.failed.push(`HTTP ${res.status} ${res.body.slice(0, 80)}`);
        } catch (err) {
          seen.failed.push(String(err));
        }
        await new Promise((r) => setTimeout(r, Math.max(0, PROBE_EVERY_MS - (Date.now() - at))));
      }
    })();
    const second = await push();
    // The new text is served once the push is done; requests keep flowing a little after the old one is gone.
    const deadline = Date.now() + 10_000;
    while (seen.bodies.at(-1) !== 'v2' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const until = Date.now() + 1000;
    while (Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    running = false;
    await probe;
    assert.equal(second.code, 0, second.stderr);
    // Start-first: the new container passed its health check before the old one was retired.
    assert.match(
      second.stderr,
      /waiting for the health check[\s\S]*\(healthy\)[\s\S]*\(old container retired\)/,
    );
    assert.equal(
      seen.failed.length,
      0,
      `failed requests during the push: ${seen.failed.length} of ${seen.ok + seen.failed.length}: ${seen.failed.slice(0, 5).join('; ')}`,
    );
    assert.ok(seen.ok > 20, `only ${seen.ok} requests ran`);
    // v1 until the switch, v2 after it, never back.
    assert.deepEqual(seen.bodies, ['v1', 'v2']);
    t.diagnostic(`${seen.ok} requests during the push, none failed`);
  });
});
