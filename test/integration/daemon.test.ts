// hiy daemon in-process on real Podman and Caddy: commits served, drift corrected, a restarted Caddy, a burst of
// commits with never two applies at once, backoff of a failing resource, status conditions and events.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { settingsFrom } from '../../src/cli/config.js';
import type { CaddyDriver } from '../../src/drivers/caddy/types.js';
import type { PodmanDriver } from '../../src/drivers/podman/types.js';
import { realEngine } from '../../src/main.js';
import type { ControllerEvent } from '../../src/model/events.js';
import { type Daemon, startDaemon } from '../../src/reconcile/index.js';
import { type RunningCaddy, startCaddy } from '../support/caddy.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

const MUTATING = [
  'createVolume',
  'runContainer',
  'startContainer',
  'stopContainer',
  'removeContainer',
  'renameContainer',
] as const;

/** A Port whose health check passes (v1) or never does (it sleeps instead of serving). */
function flakyPort(name: string, host: string, healthy: boolean, text: string, snapshots = ''): string {
  const serve = `mkdir -p /www && echo "${text}" > /www/index.html && exec httpd -f -p 8080 -h /www`;
  return `apiVersion: hiy/v1
kind: Port
metadata:
  name: ${name}
spec:
  image: localhost/hiy/busybox:latest
  command: ["/bin/sh", "-c", ${JSON.stringify(healthy ? serve : 'exec sleep 600')}]
  volumes:
    - name: data
      mountPath: /data
  routes:
    - host: ${host}
      port: 8080
  healthcheck:
    http: { path: /, port: 8080 }
    interval: 500ms
    timeout: 3s
  stopGracePeriod: 1s
${snapshots}`;
}

describe('hiy daemon on real Podman and Caddy', () => {
  let h: Harness;
  let daemon: Daemon;
  let newCaddy: RunningCaddy | undefined;
  const seen: ControllerEvent[] = [];
  /** Runs in progress as the daemon reports them, and the most ever seen at once. */
  let active = 0;
  let maxActive = 0;
  /** Mutating Podman/Caddy calls made outside a run, or without the apply lock file. */
  const violations: string[] = [];
  /** Every container the daemon started, with when it started it (ms since the epoch). */
  const runContainerCalls: { name: string; at: number }[] = [];

  const served = async (host: string, body: string) => {
    const r = await h.get(host).catch(() => ({ status: 0, body: '' }));
    return r.status === 200 && r.body.trim() === body;
  };
  const waitServed = (host: string, body: string, timeoutMs = 60_000) =>
    waitFor(() => served(host, body), { timeoutMs, intervalMs: 50, what: `${host} to serve ${body}` });
  const idle = () =>
    waitFor(async () => !daemon || active === 0, { timeoutMs: 60_000, what: 'an idle daemon' });

  before(async () => {
    h = await startHarness({ 'web.yaml': webPort('web', 'web.test') });
    const settings = settingsFrom({}, h.env, true);
    const engine = await realEngine(settings, h.env);
    const lockFile = join(h.dataDir, 'apply.lock');
    const check = (what: string) => {
      if (active !== 1) violations.push(`${what} with ${active} runs in progress`);
      if (!existsSync(lockFile)) violations.push(`${what} without the apply lock`);
    };
    const podman = engine.podman;
    const wrapped = Object.create(podman) as PodmanDriver;
    for (const m of MUTATING) {
      (wrapped as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
        check(
          `podman ${m} ${String(args[0] && typeof args[0] === 'object' ? (args[0] as { name: string }).name : args[0])}`,
        );
        if (m === 'runContainer')
          runContainerCalls.push({ name: (args[0] as { name: string }).name, at: Date.now() });
        return (podman[m] as (...a: unknown[]) => Promise<unknown>).apply(podman, args);
      };
    }
    const caddy = engine.caddy;
    const wrappedCaddy = Object.create(caddy) as CaddyDriver;
    wrappedCaddy.load = (config) => {
      check('caddy load');
      return caddy.load(config);
    };
    daemon = await startDaemon({
      engine: { ...engine, podman: wrapped, caddy: wrappedCaddy },
      resync: '*/2 * * * * *',
    });
    daemon.subscribe((e) => {
      seen.push(e);
      if (e.type === 'reconcile.started') maxActive = Math.max(maxActive, ++active);
      // A run that changed nothing reports only its (live, seq 0) reconcile.finished, with no start.
      const ended =
        e.type === 'reconcile.finished' || (e.type === 'reconcile.failed' && e.data?.actions !== undefined);
      if (ended && e.seq !== 0) active--;
    });
  });

  after(async () => {
    if (process.env.HIY_TEST_DEBUG) {
      for (const e of seen) console.error('EVENT', e.seq, e.type, e.message);
      console.error('CADDY', newCaddy?.output());
    }
    await daemon?.stop();
    await newCaddy?.stop();
    await h?.cleanup();
  });

  it('applies the state repo at startup', async () => {
    await waitServed('web.test', 'web:hello');
    assert.ok(existsSync(join(h.dataDir, 'daemon.pid')));
  });

  it('serves a new commit of the state repo (watching its refs), within 5 s as a goal', async (t) => {
    await idle();
    const start = Date.now();
    await h.commit({ 'web.yaml': webPort('web', 'web.test', { env: { GREETING: 'v2' } }) });
    await waitServed('web.test', 'web:v2');
    t.diagnostic(`commit served after ${Date.now() - start} ms (goal 5 s; measured by npm run bench)`);
    const applied = seen.find((e) => e.type === 'resource.applied' && e.resource === 'port/web');
    assert.ok(applied, 'a resource.applied event');
  });

  it('restores a managed container removed by hand within one resync (drift corrected)', async () => {
    await idle();
    const name = `hiy-${h.instance}-web`;
    await execa('podman', ['rm', '-f', '-t', '0', name]);
    await waitFor(() => served('web.test', 'web:v2'), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'web back',
    });
    const since = seen.length;
    await waitFor(() => seen.some((e) => e.type === 'drift.corrected' && e.resource === 'port/web'), {
      what: 'a drift.corrected event',
    }).catch((err: Error) => {
      const recent = seen.slice(since - 5).map((e) => `${e.seq} ${e.type} ${e.message}`);
      throw new Error(`${err.message}; events around it:\n${recent.join('\n')}`);
    });
  });

  it('starts a managed container stopped by hand', async () => {
    await idle();
    const name = `hiy-${h.instance}-web`;
    await execa('podman', ['stop', '-t', '0', name]);
    await waitFor(
      async () =>
        (await execa('podman', ['inspect', '-f', '{{.State.Status}}', name])).stdout.trim() === 'running' &&
        served('web.test', 'web:v2'),
      { timeoutMs: 30_000, intervalMs: 100, what: 'web running again' },
    );
  });

  it('gives a restarted Caddy (same ports, empty config) its routes back', async () => {
    await idle();
    const { adminUrl, httpPort } = h.caddy;
    await h.caddy.stop();
    newCaddy = await startCaddy({ adminPort: Number(new URL(adminUrl).port), httpPort });
    await waitFor(() => served('web.test', 'web:v2'), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'routes back',
    });
  });

  it('30 commits in 5 s end in the last commit’s state, never with two applies at once', async (t) => {
    await idle();
    const runsBefore = daemon.runs;
    let last = '';
    const start = Date.now();
    for (let i = 0; i < 30; i++) {
      last = await h.commit(
        { 'web.yaml': webPort('web', 'web.test', { env: { GREETING: `burst-${i}` } }) },
        `burst ${i}`,
      );
      const wait = start + (i + 1) * 160 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    t.diagnostic(`30 commits in ${Date.now() - start} ms`);
    await waitServed('web.test', 'web:burst-29');
    await waitFor(async () => (await h.stores.status.read()).lastAppliedCommit === last && active === 0, {
      timeoutMs: 30_000,
      what: 'the last commit recorded as applied',
    });
    const runs = daemon.runs - runsBefore;
    t.diagnostic(`${runs} runs for 30 commits`);
    assert.ok(runs < 30, `commits coalesced into ${runs} runs`);
    assert.equal(maxActive, 1, 'never two runs at once');
    assert.deepEqual(
      violations,
      [],
      'every change happened inside the one run in progress, under the apply lock',
    );
    assert.ok(await served('web.test', 'web:burst-29'));
  });

  it('backs off a resource whose new version never becomes healthy; others converge; a new spec retries at once', async (t) => {
    await idle();
    await h.commit({ 'flaky.yaml': flakyPort('flaky', 'flaky.test', true, 'flaky v1') });
    await waitServed('flaky.test', 'flaky v1');
    await idle();
    /** Attempts at starting flaky, all of them or those made before `until`. */
    const attempts = (until = Number.POSITIVE_INFINITY) =>
      runContainerCalls.filter((c) => c.name.endsWith('-flaky') && c.at < until).length;
    const before = attempts();
    await h.commit({ 'flaky.yaml': flakyPort('flaky', 'flaky.test', false, 'flaky v2') });
    const failed = await waitFor(
      () => seen.find((e) => e.type === 'resource.failed' && e.resource === 'port/flaky'),
      { timeoutMs: 60_000, what: 'the failed upgrade' },
    );
    assert.equal(failed?.data?.rolledBack, true, String(failed?.message));
    // The data-safety rollback brought the old version back (started again, so give httpd a moment).
    await waitFor(() => served('flaky.test', 'flaky v1'), { timeoutMs: 10_000, what: 'v1 serving again' });
    const status = await h.stores.status.read();
    const rec = status.resources['port/flaky']!;
    assert.equal(rec.backoff?.failures, 1);
    assert.equal(rec.conditions?.find((c) => c.type === 'Stalled')?.status, 'True');
    const retryAt = Date.parse(rec.backoff!.retryAt);
    // Runs go on within the 10 s backoff (a commit of web, resyncs every 2 s): web converges, flaky is not tried.
    const runsAtFailure = daemon.runs;
    await h.commit({ 'web.yaml': webPort('web', 'web.test', { env: { GREETING: 'during-backoff' } }) });
    await waitServed('web.test', 'web:during-backoff');
    const runsAfterWeb = daemon.runs;
    await waitFor(() => daemon.runs >= runsAfterWeb + 2 || Date.now() >= retryAt, {
      timeoutMs: Math.max(retryAt - Date.now(), 0) + 5_000,
      intervalMs: 50,
      what: 'two resyncs after web converged, or the end of the backoff',
    });
    const runsInBackoff = daemon.runs - runsAtFailure;
    t.diagnostic(`${runsInBackoff} runs within the backoff, ${retryAt - Date.now()} ms of it left`);
    assert.ok(
      runsInBackoff >= 2,
      `runs within the backoff (${runsInBackoff}) tried, so the check means something`,
    );
    assert.equal(attempts(retryAt) - before, 1, 'one attempt of the failing spec within its backoff');
    const s2 = await h.stores.status.read();
    assert.equal(
      s2.resources['port/flaky']!.conditions?.find((c) => c.type === 'Ready')?.reason,
      'BackingOff',
    );
    const view = JSON.parse((await h.hiy(['status', '--json'])).out);
    const flaky = view.resources.find((r: { id: string }) => r.id === 'port/flaky');
    assert.equal(flaky.backoff.failures, 1);
    t.diagnostic(
      `flaky: ${flaky.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`).join(' ')}`,
    );
    // A commit that changes the failing resource's spec is tried at once, not after the backoff.
    const fixAt = Date.now();
    await h.commit({ 'flaky.yaml': flakyPort('flaky', 'flaky.test', true, 'flaky v3') });
    await waitServed('flaky.test', 'flaky v3', 60_000);
    t.diagnostic(`fixed spec served ${Date.now() - fixAt} ms after its commit`);
    await waitFor(async () => !(await h.stores.status.read()).resources['port/flaky']?.backoff, {
      what: 'backoff cleared',
    });
  });

  it('takes scheduled snapshots with the container stopped briefly, verified, pruned to keep', async () => {
    await idle();
    const name = `hiy-${h.instance}-flaky`;
    await execa('podman', ['exec', name, 'sh', '-c', 'echo precious > /data/file']);
    const from = seen.at(-1)?.seq ?? 0;
    await h.commit({
      'flaky.yaml': flakyPort(
        'flaky',
        'flaky.test',
        true,
        'flaky v3',
        '  snapshots:\n    schedule: "*/2 * * * * *"\n    keep: 2\n',
      ),
    });
    const taken = () =>
      seen.filter((e) => e.seq > from && e.type === 'snapshot.taken' && e.resource === 'port/flaky');
    await waitFor(() => taken().length >= 3, { timeoutMs: 60_000, what: 'three scheduled snapshots' });
    // Removing the schedule stops the snapshots.
    await h.commit({ 'flaky.yaml': flakyPort('flaky', 'flaky.test', true, 'flaky v3') });
    await idle();
    const volume = `hiy-${h.instance}-flaky-data`;
    const ids = await readdir(join(h.dataDir, 'snapshots', volume));
    assert.equal(ids.length, 2, `pruned to keep: 2 (${ids.join(', ')})`);
    const manifest = JSON.parse(
      await readFile(join(h.dataDir, 'snapshots', volume, ids.sort().at(-1)!, 'manifest.json'), 'utf8'),
    );
    assert.equal(manifest.reason, 'scheduled');
    assert.equal(manifest.files, 1);
    await waitFor(() => served('flaky.test', 'flaky v3'), { timeoutMs: 30_000, what: 'flaky serving again' });
    assert.equal((await execa('podman', ['exec', name, 'cat', '/data/file'])).stdout.trim(), 'precious');
    assert.ok(!seen.some((e) => e.seq > from && e.type === 'snapshot.failed'));
  });

  it('hiy status shows conditions and hiy events the history with increasing seq', async () => {
    await idle();
    const s = await h.hiy(['status']);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /port\/web\s+\S+\s+running\s.*yes \(Applied\)/);
    const j = JSON.parse((await h.hiy(['status', '--json'])).out);
    const web = j.resources.find((r: { id: string }) => r.id === 'port/web');
    assert.deepEqual(
      web.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`),
      ['Ready=True', 'Reconciling=False', 'Stalled=False'],
    );
    const ev = await h.hiy(['events', '--json']);
    assert.equal(ev.code, 0, ev.err);
    const list = JSON.parse(ev.out) as ControllerEvent[];
    assert.ok(list.length > 5);
    assert.ok(list.every((e, i) => i === 0 || e.seq > list[i - 1]!.seq));
    for (const type of [
      'resource.applied',
      'drift.corrected',
      'resource.failed',
      'reconcile.finished',
      'snapshot.taken',
    ])
      assert.ok(
        list.some((e) => e.type === type),
        `an event of type ${type}`,
      );
    // What subscribers saw live is what was persisted (besides live-only no-op runs, seq 0), in order.
    const live = seen.filter((e) => e.seq !== 0);
    const persisted = await h.stores.events.read({ since: live[0]!.seq - 1 });
    assert.deepEqual(
      persisted.slice(0, live.length).map((e) => e.seq),
      live.map((e) => e.seq),
    );
    assert.ok(
      seen.some((e) => e.seq === 0 && e.type === 'reconcile.finished' && e.data?.actions === 0),
      'no-op runs are reported live (for metrics)',
    );
    const human = await h.hiy(['events', '--limit', '3']);
    assert.equal(human.out.trim().split('\n').length, 3);
  });

  it("events other commands append (a rollback from a shell) reach the daemon's subscribers", async () => {
    await idle();
    const r = await h.hiy(['rollback', 'web']);
    assert.equal(r.code, 0, r.out + r.err);
    await waitFor(async () => seen.some((e) => e.type === 'rollback.finished' && e.resource === 'port/web'), {
      timeoutMs: 10_000,
      what: 'the rollback event, delivered live',
    });
    assert.equal((await h.hiy(['unpin', 'web'])).code, 0);
  });
});
