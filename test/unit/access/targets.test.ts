// The one resolver of names: a kind must match, a bare name is the App or the Port of that name, never both.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveTarget, resolveWorkloadName } from '../../../src/access/targets.js';

const names = { apps: ['blog', 'twin'], ports: ['db', 'twin'] };
const resolve = (name: string) => {
  const r = resolveTarget(name, names);
  return r.ok ? r.id : `${r.code}: ${r.message}`;
};

describe('resolveTarget', () => {
  it('a bare name is the App or the Port of that name', () => {
    assert.equal(resolve('blog'), 'app/blog');
    assert.equal(resolve('db'), 'port/db');
    assert.equal(resolve('nope'), 'TARGET_UNKNOWN: no App or Port named nope in the state repo');
  });

  it('a kind prefix must match the kind the state has: app/db never reaches the Port db', () => {
    assert.equal(resolve('app/blog'), 'app/blog');
    assert.equal(resolve('port/db'), 'port/db');
    assert.equal(resolve('app/db'), 'TARGET_UNKNOWN: no App named db in the state repo');
    assert.equal(resolve('port/blog'), 'TARGET_UNKNOWN: no Port named blog in the state repo');
    assert.equal(resolve('user/blog'), 'TARGET_UNKNOWN: no App or Port named blog in the state repo');
  });

  it('a bare name that is both an App and a Port is refused, never guessed; with a kind it is exact', () => {
    assert.match(
      resolve('twin'),
      /^TARGET_AMBIGUOUS: twin is both an App and a Port .* give app\/twin or port\/twin$/,
    );
    assert.equal(resolve('app/twin'), 'app/twin');
    assert.equal(resolve('port/twin'), 'port/twin');
  });

  it('over resource ids, as status and labels hold them', () => {
    assert.equal(resolveWorkloadName('db', ['app/blog', 'port/db']), 'port/db');
    assert.equal(resolveWorkloadName('app/db', ['app/blog', 'port/db']), undefined);
    assert.equal(resolveWorkloadName('x', ['app/x', 'port/x']), undefined);
  });
});
