// push-to-serving: `git push` of a small static site through a real sshd to HIY (dist build, as installed),
// timed until Caddy answers 200 with the new content, minus the time of the same `podman build` run alone.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { git, type Harness, makeRepo, startHarness } from '../test/support/hiy.js';
import { ensureBusyboxImage } from '../test/support/podman.js';
import { type RunningSshd, startSshd, userYaml } from '../test/support/sshd.js';
import { type BenchContext, type Result, stats, timed, timePushUntilServing, withCleanup } from './lib.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGET_MS = 3000;

const STATIC_CONTAINERFILE = `FROM localhost/hiy/busybox:latest
COPY . /www
EXPOSE 8080
CMD ["/bin/httpd","-f","-p","8080","-h","/www"]
`;

function rand(): string {
  return randomBytes(4).toString('hex');
}

async function removeImages(filter: string): Promise<void> {
  const r = await execa('podman', ['images', '-q', '--filter', filter], { reject: false });
  const ids = [...new Set(String(r.stdout).split('\n').filter(Boolean))];
  if (ids.length) await execa('podman', ['rmi', '-f', ...ids], { reject: false });
}

export async function benchPush(ctx: BenchContext): Promise<Result[]> {
  await ensureBusyboxImage();
  ctx.log('push-to-serving: building dist/ (the forced command runs bin/hiy.js, as on a real server)');
  await execa('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT });
  const rounds = ctx.quick ? 3 : 7;
  let h: Harness | undefined;
  let sshd: RunningSshd | undefined;
  const direct = await mkdtemp(join(tmpdir(), 'hiy-bench-direct-'));
  // Pushes go through the production set-up: an unprivileged account made by `hiy ssh-account`.
  const account = `hiyb${rand().slice(0, 6)}`;
  const accountDir = await mkdtemp(join(tmpdir(), 'hiy-bench-account-'));
  await chmod(accountDir, 0o755);
  const sudoers = `/etc/sudoers.d/hiy-bench-${account}`;
  return withCleanup(
    'push-to-serving',
    async () => {
      await sshd?.stop();
      await h?.cleanup(); // the instance's containers, volumes and images
      await removeImages('reference=localhost/hiy-bench-direct');
      await rm(direct, { recursive: true, force: true });
      await execa('userdel', [account], { reject: false });
      await rm(sudoers, { force: true });
      await rm(accountDir, { recursive: true, force: true });
    },
    async () => {
      sshd = await startSshd({ user: account, authorizedKeysFile: '.ssh/authorized_keys' });
      const key = await sshd.newKey('dev');
      h = await startHarness({
        'state.yaml': `${userYaml('dev', key)}---
apiVersion: hiy/v1
kind: App
metadata:
  name: site
spec:
  source: { repo: site }
  routes: [{ host: site.bench, port: 8080 }]
  healthcheck: { http: { path: /, port: 8080 }, interval: 1s, timeout: 30s }
  stopGracePeriod: 1s
`,
      });
      const keys = await h.hiy([
        'ssh-account',
        '--user',
        account,
        '--home',
        join(accountDir, 'home'),
        '--wrapper',
        join(accountDir, 'git-shell'),
        '--sudoers',
        sudoers,
      ]);
      if (keys.code !== 0) throw new Error(keys.err);
      const src = join(h.root, 'site');
      await makeRepo(src, { 'index.html': 'warm-up\n' });
      // Warm-up: creates the repository, warms the base image and Caddy; not timed.
      const warm = await sshd.git(key, src, ['push', sshd.url('site'), 'main']);
      if (warm.code !== 0) throw new Error(`warm-up push failed: ${warm.stderr}`);
      const totals: number[] = [];
      const builds: number[] = [];
      const net: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const text = `round ${i} ${rand()}`;
        await writeFile(join(src, 'index.html'), `${text}\n`);
        await git(src, ['commit', '-qam', text]);
        // Timed from the start of `git push` to the first 200 with the new content, polled while the push runs
        // (Caddy switches before the old container is retired and before git updates the ref).
        const total = await timePushUntilServing(
          () => sshd!.git(key, src, ['push', sshd!.url('site'), 'main']),
          () => h!.get('site.bench'),
          text,
          20,
        );
        // The same build alone: same Containerfile, a context of the same size with content never built before.
        await writeFile(join(direct, 'index.html'), `direct ${text}\n`);
        await writeFile(join(direct, 'Containerfile'), STATIC_CONTAINERFILE);
        const build = await timed(() =>
          execa('podman', [
            'build',
            '--layers',
            '-t',
            `localhost/hiy-bench-direct:${i}`,
            '-f',
            join(direct, 'Containerfile'),
            direct,
          ]),
        );
        totals.push(total.ms);
        builds.push(build.ms);
        net.push(total.ms - build.ms);
        ctx.log(
          `  round ${i + 1}/${rounds}: push→200 ${total.ms.toFixed(0)} ms, podman build alone ${build.ms.toFixed(0)} ms`,
        );
      }
      const ns = stats(net);
      const group = 'push-to-serving';
      return [
        {
          name: 'push-to-serving (minus podman build)',
          group,
          samplesMs: net,
          stats: ns,
          target: 'median ≤ 3 s',
          verdict: ns.median <= TARGET_MS ? 'pass' : 'FAIL',
          note: 'static site via real sshd (the hiy ssh-account set-up: sudo bridge) + git push; git-shell, hook, queue, plan, health-gated start-first deploy, Caddy switch',
        },
        {
          name: '  git push → first 200 with the new content',
          group,
          samplesMs: totals,
          stats: stats(totals),
          target: '',
          verdict: 'info',
          note: 'wall time of the whole push, build included',
        },
        {
          name: '  podman build alone (same Containerfile)',
          group,
          samplesMs: builds,
          stats: stats(builds),
          target: '',
          verdict: 'info',
          note: 'subtracted above',
        },
      ];
    },
  );
}
