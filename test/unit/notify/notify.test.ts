// Notifications from controller events to the state repo's Notifiers, delivered to an in-memory HTTP sink.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { FetchLike, HttpInit } from '../../../src/drivers/http/fetch.js';
import type { Controller, ControllerEvent } from '../../../src/model/events.js';
import { type NotifierService, startNotifier, toNotification } from '../../../src/notify/notify.js';
import { type FakeWorld, fakeEngine } from '../../support/fakeEngine.js';

const NOTIFIERS = `apiVersion: hiy/v1
kind: Notifier
metadata: { name: hook }
spec:
  url: http://sink.test/hook
---
apiVersion: hiy/v1
kind: Notifier
metadata: { name: phone }
spec:
  url: http://sink.test/alerts
  format: ntfy
  events: [deploy.failed, drift.corrected]
  resources: [port/db]
`;

/** A controller that only relays the events the test emits. */
class EventSource implements Controller {
  private readonly listeners = new Set<(e: ControllerEvent) => void>();
  private seq = 0;
  enqueue(): never {
    throw new Error('not used');
  }
  subscribe(listener: (e: ControllerEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(e: Omit<ControllerEvent, 'seq' | 'at'>): void {
    const full = { ...e, seq: ++this.seq, at: '2026-01-01T00:00:00.000Z' };
    for (const l of this.listeners) l(full);
  }
}

describe('notifications', () => {
  let w: FakeWorld;
  let notifier: NotifierService;
  const events = new EventSource();
  const received: { url: string; init: HttpInit }[] = [];
  let failing = '';
  const sink: FetchLike = async (url, init = {}) => {
    if (url === failing) throw new Error('connection refused');
    received.push({ url, init });
    const ok = { status: 200, ok: true, headers: {} };
    return { ...ok, text: async () => 'ok', arrayBuffer: async () => new ArrayBuffer(0) };
  };
  const take = async () => {
    await notifier.idle();
    return received.splice(0).sort((a, b) => a.url.localeCompare(b.url));
  };

  before(async () => {
    w = await fakeEngine({ files: { 'notifiers.yaml': NOTIFIERS } });
    notifier = startNotifier({
      controller: events,
      engine: w.engine,
      logger: pino({ level: 'silent' }),
      fetchImpl: sink,
    });
  });
  after(async () => {
    notifier.stop();
    await w.cleanup();
  });

  it('a deploy goes to the notifiers that want it, as JSON', async () => {
    events.emit({
      type: 'reconcile.finished',
      message: 'commit abc applied',
      data: { commit: 'abc1234567890def', actions: 2, triggers: ['commit:abc'] },
    });
    const [json, ...rest] = await take();
    assert.deepEqual(rest, [], 'the ntfy notifier does not want deploy.succeeded');
    assert.equal(json?.url, 'http://sink.test/hook');
    assert.equal(json?.init.method, 'POST');
    assert.equal(json?.init.headers?.['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(json?.init.body ?? ''), {
      sender: 'hiy',
      at: '2026-01-01T00:00:00.000Z',
      source: { type: 'reconcile.finished', seq: 1 },
      commit: 'abc1234567890def',
      event: 'deploy.succeeded',
      title: 'Deploy succeeded',
      message: 'commit abc applied',
    });
  });

  it('drift corrected by a resync goes to both, ntfy with its headers; a no-op run to nobody', async () => {
    events.emit({
      type: 'reconcile.finished',
      message: 'nothing',
      data: { actions: 0, triggers: ['resync'] },
    });
    events.emit({
      type: 'reconcile.finished',
      resource: 'port/db',
      message: 'port/db recreated',
      data: { commit: 'abc1234567890def', actions: 1, triggers: ['resync'] },
    });
    const [alerts, hook] = await take();
    assert.equal(hook?.url, 'http://sink.test/hook');
    assert.equal(JSON.parse(hook?.init.body ?? '').event, 'drift.corrected');
    assert.equal(alerts?.url, 'http://sink.test/alerts');
    assert.deepEqual(alerts?.init.headers, {
      'content-type': 'text/plain; charset=utf-8',
      Title: 'HIY: HIY corrected drift',
      Priority: '3',
      Tags: 'wrench',
    });
    assert.equal(alerts?.init.body, 'port/db recreated\ncommit abc123456789');
  });

  it('the resources filter holds events about other resources back', async () => {
    events.emit({ type: 'reconcile.failed', resource: 'port/web', message: 'web failed', data: {} });
    const got = await take();
    assert.deepEqual(
      got.map((r) => r.url),
      ['http://sink.test/hook'],
    );
  });

  it('a failed delivery is dropped without holding back the others', async () => {
    failing = 'http://sink.test/hook';
    events.emit({ type: 'reconcile.failed', resource: 'port/db', message: 'db failed', data: {} });
    const got = await take();
    assert.deepEqual(
      got.map((r) => [r.url, r.init.headers?.Title]),
      [['http://sink.test/alerts', 'HIY: Deploy FAILED']],
    );
    failing = '';
    events.emit({ type: 'rollback.finished', resource: 'port/db', message: 'rolled back', data: {} });
    assert.equal(JSON.parse((await take())[0]?.init.body ?? '').title, 'Rolled back port/db');
  });

  it('a failed build is a build.failed notification; a cancelled one is none', () => {
    const at = '2026-01-01T00:00:00.000Z';
    const note = toNotification({
      seq: 7,
      at,
      type: 'build.failed',
      resource: 'app/site',
      message: 'build of app/site at abc pushed by alice FAILED in build: exit 7',
      data: { commit: 'abc1234567890', outcome: 'failed' },
    });
    assert.equal(note?.event, 'build.failed');
    assert.equal(note?.title, 'Build FAILED (app/site)');
    assert.equal(note?.commit, 'abc1234567890');
    assert.equal(toNotification({ seq: 8, at, type: 'build.cancelled', message: 'cancelled' }), undefined);
  });
});
