// Whole-box answers narrowed to what a caller may view: rows, retained volumes, pins, summary. Pure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusView } from '../../../src/engine/statusView.js';
import type { Plan } from '../../../src/plan/types.js';
import { eventVisibleTo, planVisibleTo, statusVisibleTo } from '../../../src/server/visibility.js';

const mine = (id: string) => id === 'app/blog';

describe('visibility of whole-box reads', () => {
  it('status keeps only the caller’s resources and retained volumes, and drops the box-wide error', () => {
    const view = {
      stateRepo: '/srv/state',
      branch: 'main',
      stateErrors: 0,
      lastError: 'port/mail: failed to start',
      resources: [{ id: 'app/blog' }, { id: 'port/mail' }],
      retainedVolumes: ['hiy-blog-data', 'hiy-mail-spool', 'hiy-orphan'],
      retainedOwners: { 'hiy-blog-data': 'app/blog', 'hiy-mail-spool': 'port/mail' },
      certificates: [{ host: 'mail.example.com' }],
    } as unknown as StatusView;
    const seen = statusVisibleTo(view, mine);
    assert.equal(seen.certificates, undefined, 'certificates name every route host');
    assert.deepEqual(
      seen.resources.map((r) => r.id),
      ['app/blog'],
    );
    assert.deepEqual(seen.retainedVolumes, ['hiy-blog-data']);
    assert.deepEqual(seen.retainedOwners, { 'hiy-blog-data': 'app/blog' });
    assert.equal(seen.lastError, undefined);
  });

  it('a plan keeps the caller’s actions, retained volumes and pins, with their summary, and no proxy state', () => {
    const plan = {
      actions: [
        { resource: 'app/blog', change: 'update' },
        { resource: 'port/mail', change: 'create' },
        { resource: 'port/mail', change: 'delete' },
      ],
      retained: [
        { name: 'hiy-blog-old', resource: 'app/blog', reason: 'removed' },
        { name: 'hiy-mail-spool', resource: 'port/mail', reason: 'removed' },
      ],
      pins: [{ resource: 'port/mail', release: 2, ignoredCommit: 'abc', pinnedAt: 'now', state: 'pinned' }],
      massDelete: { removing: ['port/mail'], managed: 2 },
      proxy: { routes: [] },
      summary: { create: 1, update: 1, replace: 0, delete: 1 },
    } as unknown as Plan;
    const seen = planVisibleTo(plan, mine);
    assert.deepEqual(
      seen.actions.map((a) => a.resource),
      ['app/blog'],
    );
    assert.deepEqual(
      seen.retained.map((r) => r.name),
      ['hiy-blog-old'],
    );
    assert.deepEqual(seen.pins, []);
    assert.deepEqual(seen.summary, { create: 0, update: 1, replace: 0, delete: 0 });
    assert.equal('proxy' in seen, false);
    assert.equal('massDelete' in seen, false);
  });

  it('events: a resource’s only to who may view it; a box-wide failure names no resource to a partial viewer', () => {
    const at = '2026-01-01T00:00:00Z';
    const own = { seq: 1, at, type: 'resource.applied', resource: 'app/blog', message: 'app/blog: applied' };
    const other = {
      seq: 2,
      at,
      type: 'resource.failed',
      resource: 'port/mail',
      message: 'port/mail: failed',
    };
    const boxWide = {
      seq: 3,
      at,
      type: 'reconcile.failed',
      message: 'port/mail: image localhost/secret-mail:1 not found',
      data: { resources: ['port/mail'] },
    };
    assert.deepEqual(eventVisibleTo(own, mine, false), own);
    assert.equal(eventVisibleTo(other, mine, false), undefined);
    const shown = eventVisibleTo(boxWide, mine, false);
    assert.deepEqual(shown, {
      seq: 3,
      at,
      type: 'reconcile.failed',
      message: 'reconcile.failed (box-wide; its details are shown to users granted "*")',
    });
    assert.doesNotMatch(JSON.stringify(shown), /mail/);
    assert.deepEqual(eventVisibleTo(boxWide, mine, true), boxWide, 'whole to who may view everything');
    assert.deepEqual(
      eventVisibleTo(other, () => true, true),
      other,
    );
  });
});
