// Everyday operations against real Podman, Caddy and git: logs, exec, run, config, restart, scheduled jobs.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { logsCommand } from '../../src/cli/commands/logs.js';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { LABEL_INSTANCE, LABEL_ONE_OFF } from '../../src/model/labels.js';
import { type Daemon, jobsPlugin, startDaemon } from '../../src/reconcile/index.js';
import { EventLog } from '../../src/store/events.js';
import { JobRunStore } from '../../src/store/jobRuns.js';
import { git, type Harness, startHarness } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

const TOKEN = 'tok-3b9f1c';

/** A Port that prints a start line (with its GREETING) and serves it; a secret TOKEN; optional jobs. */
function opsPort(greeting: string, jobs = ''): string {
  const script = `echo started-$GREETING; mkdir -p /www && echo "$GREETING" > /www/index.html && exec httpd -f -p 8080 -h /www`;
  return `# the ops test port
apiVersion: hiy/v1
kind: Port
metadata:
  name: web
spec:
  image: localhost/hiy/busybox:latest
  command: ["/bin/sh", "-c", ${JSON.stringify(script)}]
  env:
    # how the page greets
    GREETING: ${greeting}
  secretEnv:
    TOKEN: web-token
  routes:
    - host: ops.test
      port: 8080
  healthcheck:
    http: { path: /, port: 8080 }
    interval: 1s
    timeout: 20s
  stopGracePeriod: 1s
${jobs}`;
}

describe('everyday operations', () => {
  let h: Harness;

  const oneOffsLeft = async () => {
    const r = await execa('podman', [
      'ps',
      '-a',
      '--format',
      '{{.Names}} {{.Labels}}',
      '--filter',
      `label=${LABEL_INSTANCE}=${h.instance}`,
    ]);
    return r.stdout.split('\n').filter((l) => l.includes(LABEL_ONE_OFF));
  };

  before(async () => {
    h = await startHarness({ 'web.yaml': opsPort('hello') });
    await git(h.stateDir, ['config', 'user.name', 'Ops Tester']);
    await git(h.stateDir, ['config', 'user.email', 'ops@example.com']);
    const secretFile = join(h.root, 'token');
    await writeFile(secretFile, TOKEN);
    assert.equal((await h.hiy(['secret', 'set', 'web-token', '--from-file', secretFile])).code, 0);
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.err);
  });
  after(async () => {
    await h?.cleanup();
  });

  it('logs show what the container printed; --tail and unknown names', async () => {
    await waitFor(async () => (await h.hiy(['logs', 'web'])).out.includes('started-hello'), {
      what: 'the start line',
    });
    const tail = await h.hiy(['logs', 'web', '--tail', '1', '--timestamps']);
    assert.equal(tail.code, 0, tail.err);
    assert.equal(tail.out.trim().split('\n').length, 1);
    assert.equal(tail.calls.podman, 1, 'one podman call: no listing first');
    const unknown = await h.hiy(['logs', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no App or Port named nope in the state repo/);
    const none = await h.hiy(['logs', 'web', '--previous']);
    assert.equal(none.code, 1);
    assert.match(none.err, /no previous container of port\/web recorded: it has not been replaced since/);
  });

  it('exec sees env and secretEnv, and passes the exit code', async () => {
    const env = await h.hiy(['exec', 'web', '--', 'env']);
    assert.equal(env.code, 0, env.err);
    assert.match(env.out, new RegExp(`^TOKEN=${TOKEN}$`, 'm'));
    assert.match(env.out, /^GREETING=hello$/m);
    assert.equal((await h.hiy(['exec', 'web', '--', 'sh', '-c', 'exit 5'])).code, 5);
  });

  it('run: a one-off with the secrets, its exit code, and nothing left behind', async () => {
    const env = await h.hiy(['run', 'web', '--', 'env']);
    assert.equal(env.code, 0, env.err);
    assert.match(env.out, new RegExp(`^TOKEN=${TOKEN}$`, 'm'));
    // A one-off whose hiy process died (a crash, kill -9) is a leftover: the next run removes it.
    await execa('podman', [
      'run',
      '-d',
      '--pull=never',
      '--name',
      `hiy-${h.instance}-web-run-dead00`,
      '--label',
      `${LABEL_INSTANCE}=${h.instance}`,
      '--label',
      `${LABEL_ONE_OFF}=run`,
      '--label',
      'hiy.one-off.pid=999999999',
      'localhost/hiy/busybox:latest',
      'sleep',
      '600',
    ]);
    assert.equal((await oneOffsLeft()).length, 1);
    assert.equal((await h.hiy(['run', 'web', '--', 'sh', '-c', 'exit 3'])).code, 3);
    assert.deepEqual(await oneOffsLeft(), []);
    const status = await h.hiy(['plan', '--json']);
    assert.equal(JSON.parse(status.out).actions.length, 0, 'one-offs are never seen as the workload');
  });

  it('config set makes one commit with the author, keeps comments, and shows the plan', async () => {
    const before = await git(h.stateDir, ['rev-parse', 'HEAD']);
    const shown = await h.hiy(['config', 'web', '--json']);
    assert.deepEqual(JSON.parse(shown.out), {
      resource: 'port/web',
      env: { GREETING: 'hello' },
      secretEnv: { TOKEN: 'web-token' },
    });
    const secret = await h.hiy(['config', 'set', 'web', 'TOKEN=x']);
    assert.equal(secret.code, 1);
    assert.match(secret.err, /hiy secret set/);
    const set = await h.hiy(['config', 'set', 'web', 'LOG_LEVEL=debug']);
    assert.equal(set.code, 0, `${set.err}${set.out}`);
    assert.match(set.out, /-\/\+|replace/);
    assert.equal(await git(h.stateDir, ['rev-list', '--count', `${before}..HEAD`]), '1');
    assert.equal(
      await git(h.stateDir, ['log', '-1', '--format=%an <%ae>|%s']),
      'Ops Tester <ops@example.com>|config: set LOG_LEVEL on port/web',
    );
    const text = await readFile(join(h.stateDir, 'web.yaml'), 'utf8');
    assert.match(text, /^# the ops test port\n/);
    assert.match(text, /# how the page greets\n {4}GREETING: hello\n {4}LOG_LEVEL: debug\n/);
    assert.equal(await git(h.stateDir, ['status', '--porcelain']), '', 'the working copy follows the commit');
    await writeFile(join(h.stateDir, 'web.yaml'), `${text}# a local edit\n`);
    const dirty = await h.hiy(['config', 'unset', 'web', 'LOG_LEVEL']);
    assert.equal(dirty.code, 1);
    assert.match(dirty.err, /uncommitted edits/);
    await git(h.stateDir, ['checkout', '--', 'web.yaml']);
  });

  it('logs -f streams on across a deploy, and restart replaces the container health-gated', async () => {
    let out = '';
    const abort = new AbortController();
    const io = {
      out(t: string) {
        out += t;
      },
      err() {},
      env: h.env,
    };
    const settings = settingsFrom({}, h.env, true);
    const following = logsCommand({ io, makeEngine: (s) => realEngine(s, h.env) }, settings, {
      name: 'web',
      json: false,
      follow: true,
      timestamps: false,
      signal: abort.signal,
    });
    await waitFor(() => out.includes('started-hello'), { what: 'the first container output' });
    await h.commit({ 'web.yaml': opsPort('bonjour') });
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.err);
    await waitFor(() => out.includes('started-bonjour'), {
      timeoutMs: 30_000,
      what: 'the new container output',
    });
    abort.abort();
    await following;
    // The replaced container's output was kept before apply removed it; plain logs are the new container's.
    const previous = await h.hiy(['logs', 'web', '--previous']);
    assert.equal(previous.code, 0, previous.err);
    assert.match(previous.out, /^started-hello$/m);
    assert.doesNotMatch(previous.out, /started-bonjour/);
    const stamped = await h.hiy(['logs', 'web', '--previous', '--timestamps', '--tail', '1']);
    assert.match(stamped.out, /^\d{4}-\d\d-\d\dT\S+ \S/);
    assert.equal(stamped.out.trim().split('\n').length, 1);
    const current = await h.hiy(['logs', 'web']);
    assert.match(current.out, /^started-bonjour$/m);
    assert.doesNotMatch(current.out, /started-hello/);

    const id = async () =>
      (await execa('podman', ['inspect', '--format', '{{.Id}}', `hiy-${h.instance}-web`])).stdout;
    const beforeId = await id();
    const restarted = await h.hiy(['restart', 'web']);
    assert.equal(restarted.code, 0, restarted.err);
    assert.notEqual(await id(), beforeId);
    const afterRestart = await h.hiy(['logs', 'web', '--previous', '--json']);
    assert.equal(afterRestart.code, 0, afterRestart.err);
    const lines = afterRestart.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { stream: string; text: string });
    assert.ok(
      lines.some((l) => l.stream === 'stdout' && l.text === 'started-bonjour\n'),
      afterRestart.out,
    );
    assert.equal((await h.get('ops.test')).body.trim(), 'bonjour');
    const events = await new EventLog(h.dataDir).read();
    assert.ok(events.some((e) => e.type === 'resource.restarted' && e.resource === 'port/web'));
  });

  it('scheduled jobs run in the daemon, keep their output, and a failure is an event; config reaches the daemon', async () => {
    const jobs = `  jobs:
    - name: tick
      schedule: "*/2 * * * * *"
      command: ["sh", "-c", "echo job-ran-$GREETING-$TOKEN"]
    - name: broken
      schedule: "*/2 * * * * *"
      command: ["sh", "-c", "echo about-to-fail; exit 4"]
      timeout: 30s
`;
    await h.commit({ 'web.yaml': opsPort('bonjour', jobs) });
    const settings = settingsFrom({}, h.env, true);
    const engine = await realEngine(settings, h.env);
    let daemon: Daemon | undefined;
    try {
      daemon = await startDaemon({ engine, resync: '*/2 * * * * *', plugins: [jobsPlugin()] });
      const store = new JobRunStore(h.dataDir);
      await waitFor(async () => (await store.last('port/web', 'tick'))?.outcome === 'succeeded', {
        timeoutMs: 60_000,
        what: 'a run of the tick job',
      });
      const logs = await h.hiy(['logs', 'web', '--job', 'tick']);
      assert.match(logs.out, new RegExp(`job-ran-bonjour-${TOKEN}`));
      await waitFor(
        async () =>
          (await new EventLog(h.dataDir).read()).some(
            (e) => e.type === 'job.failed' && /broken exited 4/.test(e.message),
          ),
        { timeoutMs: 60_000, what: 'the job.failed event' },
      );
      const status = await h.hiy(['status']);
      assert.match(status.out, /^Jobs \(hiy logs NAME --job JOB for their output\):$/m);
      assert.match(status.out, /^port\/web tick +\*\/2 \* \* \* \* \* +\S+ +(succeeded|failed|skipped)/m);
      const jobs = JSON.parse((await h.hiy(['status', '--json'])).out).jobs as {
        job: string;
        last?: unknown;
      }[];
      assert.deepEqual(jobs.map((j) => [j.job, j.last !== undefined]).sort(), [
        ['broken', true],
        ['tick', true],
      ]);
      // A manual run while the scheduled one is going is refused (JOB_BUSY); between two, it runs.
      await waitFor(
        async () => {
          const manual = JSON.parse((await h.hiy(['job', 'run', 'web', 'tick', '--json'])).out);
          assert.ok(
            manual.outcome === 'succeeded' || manual.error?.code === 'JOB_BUSY',
            JSON.stringify(manual),
          );
          return manual.outcome === 'succeeded' && manual.trigger === 'manual';
        },
        { timeoutMs: 30_000, intervalMs: 300, what: 'a manual run of the tick job' },
      );

      const set = await h.hiy(['config', 'set', 'web', 'GREETING=hallo']);
      assert.equal(set.code, 0, `${set.err}${set.out}`);
      await waitFor(async () => (await h.get('ops.test')).body.trim() === 'hallo', {
        timeoutMs: 60_000,
        what: 'the daemon to apply the config commit',
      });
    } finally {
      await daemon?.stop();
    }
    assert.deepEqual(await oneOffsLeft(), []);
  });
});
