// Builds a person can follow and stop: real git pushes over a real sshd build with real podman; a sleeping
// build is visible (Building) and is stopped by hiy build cancel, by the pusher's Ctrl-C and by its time limit;
// a failed build names its step and makes a build.failed event.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import { apiRequest } from '../support/api.js';
import { TestController } from '../support/controller.js';
import { git, type Harness, makeRepo, startHarness } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand, userYaml } from '../support/sshd.js';

function app(name: string, extra = ''): string {
  return `apiVersion: hiy/v1
kind: App
metadata:
  name: ${name}
spec:
  source:
    repo: ${name}
    branch: main
${extra}  routes:
    - host: ${name}.test
      port: 8080
  healthcheck:
    http: { path: /, port: 8080 }
    interval: 1s
    timeout: 20s
  stopGracePeriod: 1s
`;
}

/** A Containerfile whose RUN step sleeps `seconds` (a unique number: the test finds that very process). */
function sleeping(seconds: number): string {
  return `FROM localhost/hiy/busybox:latest
RUN echo "sleeping now" && sleep ${seconds}
CMD ["/bin/httpd", "-f", "-p", "8080", "-h", "/"]
`;
}

/** True while a process runs `sleep SECONDS` (the build's RUN step). */
async function sleeperRuns(seconds: number): Promise<boolean> {
  const r = await execa('pgrep', ['-f', `^sleep ${seconds}$`], { reject: false });
  return r.exitCode === 0;
}

interface BuildRecord {
  id: string;
  disconnectedAt?: string;
  apps: string[];
  state: string;
  step?: string;
  reason?: string;
  commit: string;
}

describe('builds a person can follow, bounded and cancellable', () => {
  let h: Harness;
  let sshd: RunningSshd;
  let alice: ClientKey;
  let work: string;
  let server: ApiServer;
  const tokens: Record<string, string> = {};
  const pushes: ChildProcess[] = [];
  const self = JSON.stringify(testSelfCommand());

  /** Starts `git push` in its own process group (as a terminal runs it); resolves with its output at the end. */
  function startPush(dir: string, repo: string, options: string[] = []) {
    const child = spawn(
      'git',
      ['-C', dir, 'push', '--porcelain', ...options.flatMap((o) => ['-o', o]), sshd.url(repo), 'main'],
      {
        detached: true,
        env: { ...process.env, GIT_SSH_COMMAND: sshd.gitSsh(alice), GIT_TERMINAL_PROMPT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    pushes.push(child);
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (c) => {
      stderr += String(c);
    });
    child.stdout!.on('data', (c) => {
      stdout += String(c);
    });
    const done = new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) =>
      child.on('close', (code) => resolve({ code, stderr, stdout })),
    );
    return { child, done, stderr: () => stderr };
  }

  async function builds(name: string): Promise<BuildRecord[]> {
    const r = await h.hiy(['build', 'list', name, '--json']);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out).builds as BuildRecord[];
  }

  async function waitForSleeper(seconds: number, what: string): Promise<void> {
    await waitFor(() => sleeperRuns(seconds), { timeoutMs: 120_000, intervalMs: 250, what });
  }

  async function events(
    type: string,
  ): Promise<{ type: string; resource?: string; message: string; data?: Record<string, unknown> }[]> {
    const r = await h.hiy(['events', '--json']);
    assert.equal(r.code, 0, r.err);
    const parsed = JSON.parse(r.out) as { events?: { type: string }[] } | { type: string }[];
    const list = (Array.isArray(parsed) ? parsed : (parsed.events ?? [])) as {
      type: string;
      resource?: string;
      message: string;
      data?: Record<string, unknown>;
    }[];
    return list.filter((e) => e.type === type);
  }

  before(async () => {
    sshd = await startSshd();
    alice = await sshd.newKey('alice');
    const vic = await sshd.newKey('vic');
    h = await startHarness({
      'users.yaml': [
        userYaml('alice', alice, [{ app: '*', role: 'deploy' }]),
        userYaml('vic', vic, [{ app: '*', role: 'view' }]),
      ].join('---\n'),
      'apps.yaml': [
        app('slow'),
        app('ctrlc'),
        app('bounded', '  build:\n    timeout: 5s\n'),
        app('broken'),
      ].join('---\n'),
    });
    const r = await h.hiy(['authorized-keys', '--out', sshd.authorizedKeysFile], { HIY_SELF: self });
    assert.equal(r.code, 0, r.err);
    work = join(h.root, 'work');
    for (const u of ['alice', 'vic']) tokens[u] = (await h.hiy(['token', 'create', u])).out.trim();
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    server = await startApiServer({ controller: new TestController(engine), engine, addr: '127.0.0.1:0' });
  });

  after(async () => {
    for (const p of pushes) {
      if (p.exitCode !== null || !p.pid) continue;
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // The group ended already.
      }
    }
    await server?.close();
    await sshd?.stop();
    await h?.cleanup();
  });

  it('a first push that builds shows as Building in hiy status, and hiy build cancel stops its podman build', async () => {
    await makeRepo(join(work, 'slow'), { Containerfile: sleeping(4101) });
    const push = startPush(join(work, 'slow'), 'slow');
    await waitForSleeper(4101, 'the build of slow sleeping');

    // Visible while building, though never deployed before.
    const status = JSON.parse((await h.hiy(['status', '--json'])).out);
    const slow = status.resources.find((r: { id: string }) => r.id === 'app/slow');
    assert.ok(slow, 'app/slow is in hiy status while it builds');
    const building = slow.conditions.find((c: { type: string }) => c.type === 'Building');
    assert.equal(building?.status, 'True', JSON.stringify(slow.conditions));
    assert.match(building.message, /pushed by alice, building: build/);
    const [running] = await builds('slow');
    assert.equal(running?.state, 'building');

    // Its log so far, the unfinished build included.
    const log = await h.hiy(['logs', 'slow', '--build']);
    assert.equal(log.code, 0, log.err);
    assert.match(log.out, /-----> detect/);
    assert.match(log.out, /sleeping now/);
    assert.match(log.out, /the build is building/);

    const cancel = await h.hiy(['build', 'cancel', 'slow']);
    assert.equal(cancel.code, 0, cancel.out + cancel.err);
    assert.match(cancel.out, /Cancelled the build of app\/slow/);
    const r = await push.done;
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /stopped: cancelled by/);
    assert.match(r.stdout + r.stderr, /pre-receive hook declined/);
    assert.equal(await sleeperRuns(4101), false, 'the RUN step of the cancelled build is killed');
    const [ended] = await builds('slow');
    assert.equal(ended?.state, 'cancelled');
    const after = JSON.parse((await h.hiy(['status', '--json'])).out);
    const again = after.resources.find((x: { id: string }) => x.id === 'app/slow');
    assert.ok(!again.conditions.some((c: { type: string }) => c.type === 'Building'));
    assert.ok((await events('build.cancelled')).some((e) => e.resource === 'app/slow'));
  });

  it('a pusher that disconnects (Ctrl-C) cancels its build', async () => {
    await makeRepo(join(work, 'ctrlc'), { Containerfile: sleeping(4102) });
    const push = startPush(join(work, 'ctrlc'), 'ctrlc');
    await waitForSleeper(4102, 'the build of ctrlc sleeping');
    process.kill(-push.child.pid!, 'SIGINT');
    await push.done;
    await waitFor(async () => (await builds('ctrlc'))[0]?.state === 'cancelled', {
      timeoutMs: 60_000,
      what: 'the build of ctrlc cancelled',
    });
    assert.match((await builds('ctrlc'))[0]?.reason ?? '', /pusher disconnected/);
    await waitFor(async () => !(await sleeperRuns(4102)), { timeoutMs: 30_000, what: 'the RUN step killed' });
  });

  it('a build over its time limit (spec.build.timeout) is stopped and makes a build.failed event', async () => {
    await makeRepo(join(work, 'bounded'), { Containerfile: sleeping(4103) });
    const r = await startPush(join(work, 'bounded'), 'bounded').done;
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /build time limit 5s/);
    assert.match(r.stderr, /stopped: timed out after 5s/);
    assert.equal(await sleeperRuns(4103), false);
    const [ended] = await builds('bounded');
    assert.equal(ended?.state, 'timed-out');
    const failed = (await events('build.failed')).filter((e) => e.resource === 'app/bounded');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.data?.outcome, 'timed-out');
  });

  it('a failed build names its failing step and last lines, and makes a build.failed event', async () => {
    await makeRepo(join(work, 'broken'), {
      Containerfile: `FROM localhost/hiy/busybox:latest
RUN echo "compiling the thing" && echo "error: the thing is broken" && exit 7
`,
    });
    const r = await startPush(join(work, 'broken'), 'broken').done;
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /remote: -----> detect/);
    assert.match(r.stderr, /detect: done in \d+\.\ds/);
    assert.match(r.stderr, /build FAILED at build \(RUN echo "compiling the thing"/);
    assert.match(r.stderr, /last lines of build:/);
    assert.match(r.stderr, /error: the thing is broken/);
    const failed = (await events('build.failed')).filter((e) => e.resource === 'app/broken');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.data?.outcome, 'failed');
    assert.equal(failed[0]!.data?.step, 'build');
    const log = await h.hiy(['logs', 'broken', '--build']);
    assert.match(log.out, /build FAILED at build/);
    assert.match(log.out, /# build FAILED/);
  });

  it('with -o detach, a disconnected pusher leaves its build running to the end', async () => {
    const dir = join(work, 'slow');
    await writeFile(
      join(dir, 'Containerfile'),
      `FROM localhost/hiy/busybox:latest
RUN echo detached > /index.html && sleep 4104
CMD ["/bin/httpd", "-f", "-p", "8080", "-h", "/"]
`,
    );
    await git(dir, ['commit', '-qam', 'detached']);
    const push = startPush(dir, 'slow', ['detach']);
    await waitForSleeper(4104, 'the detached build sleeping');
    process.kill(-push.child.pid!, 'SIGINT');
    await push.done;
    // The build saw its pusher go and builds on; then it is cancelled by hand (the test does not wait 70 minutes).
    await waitFor(async () => (await builds('slow'))[0]?.disconnectedAt !== undefined, {
      timeoutMs: 30_000,
      what: 'the detached build noticing its pusher gone',
    });
    assert.equal(await sleeperRuns(4104), true, 'the detached build goes on');
    const [running] = await builds('slow');
    assert.equal(running?.state, 'building');
    // The same builds over ssh and the API, with the grants of src/access: view lists, deploy cancels.
    const listed = await sshd.ssh(alice, ['build:list', 'slow']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /alice {2}building \(build\)/);
    const seen = await apiRequest(server.url, 'GET', '/api/v1/resources/slow/builds', tokens.vic!);
    assert.equal(seen.status, 200, seen.text);
    assert.equal(JSON.parse(seen.text).builds[0].state, 'building');
    const refused = await apiRequest(server.url, 'POST', '/api/v1/resources/slow/builds/cancel', tokens.vic!);
    assert.equal(refused.status, 403, refused.text);
    assert.equal(await sleeperRuns(4104), true, 'a refused cancel stops nothing');
    const cancel = await apiRequest(
      server.url,
      'POST',
      '/api/v1/resources/slow/builds/cancel',
      tokens.alice!,
    );
    assert.equal(cancel.status, 200, cancel.text);
    assert.equal(JSON.parse(cancel.text).build.state, 'cancelled');
    assert.equal(await sleeperRuns(4104), false);
    assert.ok(await readFile(join(h.dataDir, 'build-runs', `${running!.id}.json`), 'utf8'));
  });
});
