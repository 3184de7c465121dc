// `hiy logs --previous` on the fake drivers: the output of a container is kept just before apply removes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import { boundLines, keepPreviousLogs, mergeLines, stampedLines } from '../../../src/engine/keepLogs.js';
import { resourceLogs } from '../../../src/engine/logs.js';
import { OperationError } from '../../../src/engine/resourceTarget.js';
import { restartResource } from '../../../src/engine/restart.js';
import { PREVIOUS_LOG_BYTES } from '../../../src/store/previousLogs.js';
import { type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';

async function applyOnce(w: FakeWorld) {
  return withApplyLock(w.engine, async () =>
    applyAndRecord(w.engine, await computePlan(w.engine, { forApply: true })),
  );
}

/** What resourceLogs writes, per stream. */
async function logsOf(w: FakeWorld, name: string, opts: Parameters<typeof resourceLogs>[2]) {
  const out = { stdout: '', stderr: '' };
  await resourceLogs(w.engine, name, opts, {
    stdout: (c) => {
      out.stdout += c;
    },
    stderr: (c) => {
      out.stderr += c;
    },
  });
  return out;
}

describe('podman --timestamps output, kept', () => {
  it('splits lines with their times, merges both streams in time order, bounds the bytes', () => {
    const out = stampedLines('stdout', '2026-01-01T00:00:00.5Z one\n2026-01-01T00:00:02Z three\npartial');
    const err = stampedLines('stderr', '2026-01-01T00:00:00.51Z two\n');
    assert.deepEqual(out[0], { stream: 'stdout', time: '2026-01-01T00:00:00.5Z', text: 'one' });
    assert.deepEqual(out[2], { stream: 'stdout', time: '', text: 'partial' });
    // .5 < .51 although "0.5Z" sorts after "0.51Z" as text: podman trims trailing zeros.
    assert.deepEqual(
      mergeLines(out.slice(0, 2), err).map((l) => l.text),
      ['one', 'two', 'three'],
    );
    const big = Array.from({ length: 3000 }, (_, i) => ({
      stream: 'stdout' as const,
      time: '',
      text: `${i} ${'x'.repeat(1000)}`,
    }));
    const bounded = boundLines(big);
    assert.equal(bounded.dropped, true);
    assert.equal(bounded.lines.at(-1)?.text, big.at(-1)?.text, 'the newest lines are kept');
    assert.ok(bounded.lines.reduce((n, l) => n + l.text.length, 0) <= PREVIOUS_LOG_BYTES);
    assert.deepEqual(boundLines(big.slice(0, 3)), { lines: big.slice(0, 3), dropped: false });
  });
});

describe('hiy logs --previous on fake drivers', () => {
  let w: FakeWorld;
  let logsCalls = 0;
  before(async () => {
    w = await fakeEngine({ files: { 'web.yaml': portYaml('web', { env: { V: '1' } }) } });
    const logs = w.podman.logs.bind(w.podman);
    w.podman.logs = (...args) => {
      logsCalls++;
      return logs(...args);
    };
  });
  after(() => w.cleanup());

  it('before any replacement: a clear error, and none for an unknown name', async () => {
    assert.equal((await applyOnce(w)).ok, true);
    await assert.rejects(
      logsOf(w, 'web', { previous: true }),
      (err: unknown) =>
        err instanceof OperationError &&
        err.code === 'NO_PREVIOUS' &&
        /^no previous container of port\/web recorded: it has not been replaced since its container was created/.test(
          err.message,
        ),
    );
    await assert.rejects(
      logsOf(w, 'nope', { previous: true }),
      (err: unknown) => err instanceof OperationError && err.code === 'RESOURCE_UNKNOWN',
    );
  });

  it('a deploy keeps the replaced container output; plain logs show the new one', async () => {
    w.podman.print('hiy-unit-web', 'first version says hello', 'first version says bye');
    await w.commit({ 'web.yaml': portYaml('web', { env: { V: '2' } }) });
    const calls = logsCalls;
    assert.equal((await applyOnce(w)).ok, true);
    assert.equal(logsCalls - calls, 1, 'the replaced container output was read once');
    w.podman.print('hiy-unit-web', 'second version');
    const previous = await logsOf(w, 'web', { previous: true });
    assert.equal(previous.stdout, 'first version says hello\nfirst version says bye\n');
    assert.equal(
      (await logsOf(w, 'port/web', { previous: true, tail: 1 })).stdout,
      'first version says bye\n',
    );
    assert.equal((await logsOf(w, 'web', {})).stdout, 'second version\n');
    const kept = await w.engine.stores.previousLogs.read('port/web');
    assert.equal(kept?.reason, 'replaced');
    assert.equal(kept?.truncated, false);
  });

  it('a no-op apply makes no podman logs call and keeps what was kept', async () => {
    const calls = logsCalls;
    assert.equal((await applyOnce(w)).ok, true);
    assert.equal(logsCalls, calls);
    assert.match((await logsOf(w, 'web', { previous: true })).stdout, /^first version says hello/);
  });

  it('a restart keeps the output of the container it replaces', async () => {
    const outcome = await restartResource(w.engine, 'web');
    assert.equal(outcome.result.ok, true);
    assert.equal((await logsOf(w, 'web', { previous: true })).stdout, 'second version\n');
  });

  it('a failure to keep the output is a warning, never a failed deploy', async () => {
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    await keepPreviousLogs(
      { podman: w.podman, stores: w.engine.stores, logger },
      { resource: 'port/web', id: 'no-such-container', name: 'hiy-unit-web', reason: 'replaced' },
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /could not keep the output/);
    assert.equal(
      (await logsOf(w, 'web', { previous: true })).stdout,
      'second version\n',
      'kept one unchanged',
    );
  });

  it('a very chatty container: the newest output is kept, within the bound, marked truncated', async () => {
    const line = `${'x'.repeat(999)}\n`;
    const podman = Object.assign(Object.create(w.podman), {
      logs: async (_name: string, _opts: unknown, output: { stdout(c: string): void }) => {
        for (let i = 0; i < 3000; i++) output.stdout(`2026-01-01T00:00:00Z ${i} ${line}`);
      },
    }) as typeof w.podman;
    await keepPreviousLogs(
      { podman, stores: w.engine.stores, logger: w.engine.logger },
      { resource: 'port/chatty', id: 'c0ffee', name: 'hiy-unit-chatty', reason: 'removed' },
    );
    const kept = await w.engine.stores.previousLogs.read('port/chatty');
    assert.equal(kept?.truncated, true);
    assert.match(kept?.lines.at(-1)?.text ?? '', /^2999 x/);
    assert.ok(kept!.lines.reduce((n, l) => n + l.text.length, 0) <= PREVIOUS_LOG_BYTES);
  });
});

describe('a deploy whose new container fails its health check', () => {
  const healthy = (name: string, v: string, volume: boolean) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: ${name}
spec:
  image: localhost/example/web:1
  env: { V: "${v}" }
${volume ? '  volumes:\n    - name: data\n      mountPath: /data\n' : ''}  healthcheck: { command: [/healthy], interval: 100ms, timeout: 300ms }
  stopGracePeriod: 1s
`;
  let w: FakeWorld;
  before(async () => {
    w = await fakeEngine({
      files: { 'web.yaml': healthy('web', '1', false), 'db.yaml': healthy('db', '1', true) },
    });
    // Version 2 prints why it cannot start and never passes its health command.
    w.podman.execHandler = (name) => {
      const v = w.podman.containerEnv(name)?.V;
      if (v === '3') return 1; // fails without a word
      if (v !== '2') return 0;
      w.podman.print(name, `${name}: DATABASE_URL is not set, giving up`);
      return 1;
    };
    assert.equal((await applyOnce(w)).ok, true);
  });
  after(() => w.cleanup());

  for (const [resource, strategy] of [
    ['web', 'start-first'],
    ['db', 'stop-first'],
  ] as const) {
    it(`keeps the failed container's output for --previous and says so in the error (${strategy})`, async () => {
      await w.commit({ [`${resource}.yaml`]: healthy(resource, '2', resource === 'db') });
      const result = await applyOnce(w);
      assert.equal(result.ok, false);
      const error = result.results.find((r) => r.status === 'failed')?.error ?? '';
      assert.match(
        error,
        new RegExp(`did not become healthy.*\\(its output: hiy logs ${resource} --previous\\)`),
      );
      const kept = await w.engine.stores.previousLogs.read(`port/${resource}`);
      assert.equal(kept?.reason, 'failed');
      assert.match(kept?.lines.map((l) => l.text).join('\n') ?? '', /DATABASE_URL is not set, giving up/);
      assert.equal(w.podman.containerEnv(`hiy-unit-${resource}`)?.V, '1', 'the old version still runs');
    });
  }

  it('a failed container that printed nothing does not replace what was kept', async () => {
    await w.commit({ 'web.yaml': healthy('web', '3', false) });
    const result = await applyOnce(w);
    assert.equal(result.ok, false);
    const web = result.results.find((r) => r.address === 'container/hiy-unit-web');
    assert.match(web?.error ?? '', /did not become healthy/);
    assert.doesNotMatch(web?.error ?? '', /--previous/);
    const kept = await w.engine.stores.previousLogs.read('port/web');
    assert.match(kept?.lines.map((l) => l.text).join('\n') ?? '', /DATABASE_URL is not set/);
  });
});
