// HIY_BUILD_TIMEOUT: the time limit of builds of Apps without spec.build.timeout, checked when read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppSpec } from '../../../src/model/resources.js';
import { buildSettingsFrom, DEFAULT_BUILD_TIMEOUT_MS } from '../../../src/push/buildSettings.js';

describe('build time limits', () => {
  it('HIY_BUILD_TIMEOUT defaults to 30 minutes and takes a duration', () => {
    assert.equal(DEFAULT_BUILD_TIMEOUT_MS, 30 * 60_000);
    assert.equal(buildSettingsFrom({}).timeoutMs, DEFAULT_BUILD_TIMEOUT_MS);
    assert.equal(buildSettingsFrom({ HIY_BUILD_TIMEOUT: '1h30m' }).timeoutMs, 90 * 60_000);
  });

  it('where Podman cannot enforce limits (rootless, cgroup v1), builds get no cap and say why', () => {
    const reason = 'cgroup v1: memory, cpus and pids limits are not enforced for rootless containers';
    const s = buildSettingsFrom({ HIY_BUILD_MEMORY: '1Gi', HIY_BUILD_CPUS: '1' }, reason);
    assert.deepEqual(s.caps, {});
    assert.equal(s.uncapped, true);
    assert.equal(s.capsNote, `builds run without CPU/memory caps: ${reason}`);
    assert.equal(buildSettingsFrom({}).uncapped, undefined);
  });

  it('refuses a value that is not a duration of at least 1s, naming it', () => {
    assert.throws(
      () => buildSettingsFrom({ HIY_BUILD_TIMEOUT: 'forever' }),
      /HIY_BUILD_TIMEOUT .* not forever/,
    );
    assert.throws(() => buildSettingsFrom({ HIY_BUILD_TIMEOUT: '10ms' }), /at least 1s/);
  });

  it('spec.build.timeout is a duration of at least 1s', () => {
    const source = { repo: 'site', branch: 'main' };
    assert.equal(AppSpec.parse({ source, build: { timeout: '45m' } }).build.timeout, '45m');
    const bad = AppSpec.safeParse({ source, build: { timeout: 'soon' } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['build', 'timeout']);
    assert.equal(AppSpec.safeParse({ source, build: { timeout: '0s' } }).success, false);
  });
});
