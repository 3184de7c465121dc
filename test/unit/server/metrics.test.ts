// The Prometheus rendering of controller events: reconcile duration histogram, run and action counters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../../src/server/metrics.js';

describe('metrics', () => {
  it('renders histogram, counters and the last success from controller events', () => {
    const m = new Metrics();
    const at = '2026-01-01T00:00:00.000Z';
    m.observe({ seq: 1, at, type: 'action.finished', message: '', data: { kind: 'container.create' } });
    m.observe({ seq: 2, at, type: 'action.failed', message: '', data: { kind: 'image.build' } });
    m.observe({ seq: 3, at, type: 'reconcile.finished', message: '', data: { ok: true, ms: 300 } });
    m.observe({
      seq: 4,
      at: '2026-01-01T00:01:00.000Z',
      type: 'reconcile.failed',
      message: '',
      data: { ok: false, ms: 20_000, results: [{ kind: 'container.replace', status: 'failed' }] },
    });
    const text = m.render();
    assert.match(text, /hiy_reconcile_duration_seconds_bucket\{le="0\.25"\} 0\n/);
    assert.match(text, /hiy_reconcile_duration_seconds_bucket\{le="0\.5"\} 1\n/);
    assert.match(text, /hiy_reconcile_duration_seconds_bucket\{le="30"\} 2\n/);
    assert.match(text, /hiy_reconcile_duration_seconds_bucket\{le="\+Inf"\} 2\n/);
    assert.match(text, /hiy_reconcile_duration_seconds_sum 20\.3\n/);
    assert.match(
      text,
      /hiy_reconcile_runs_total\{result="ok"\} 1\nhiy_reconcile_runs_total\{result="failed"\} 1/,
    );
    assert.match(text, /hiy_actions_total\{kind="container\.create",result="done"\} 1/);
    assert.match(text, /hiy_actions_total\{kind="container\.replace",result="failed"\} 1/);
    assert.match(text, /hiy_actions_total\{kind="image\.build",result="failed"\} 1/);
    assert.match(text, /hiy_last_successful_reconcile_timestamp_seconds 1767225600\n/);
  });
});

describe('metrics: external calls', () => {
  it("renders the drivers' call counts by target, read when rendered", () => {
    const counts: Record<string, number> = { podman: 2, caddy: 0 };
    const m = new Metrics(undefined, () => counts);
    assert.match(
      m.render(),
      /hiy_external_calls_total\{target="caddy"\} 0\nhiy_external_calls_total\{target="podman"\} 2\n/,
    );
    counts.podman = 5;
    assert.match(m.render(), /hiy_external_calls_total\{target="podman"\} 5\n/);
  });
});
