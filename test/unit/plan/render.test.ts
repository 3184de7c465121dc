// Golden files for the human plan view: one directory per case, expected text next to the test.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { desiredFingerprint, recordFailure } from '../../../src/engine/backoff.js';
import { plan } from '../../../src/plan/plan.js';
import { renderPlan } from '../../../src/plan/render.js';
import type { Plan } from '../../../src/plan/types.js';
import { app, desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const GOLDEN = join(import.meta.dirname, 'golden');

/**
 * Compares `text` with GOLDEN_ROOT/NAME/expected.txt. A missing or different file fails; only an explicit
 * UPDATE_GOLDEN=1 writes it (then review the diff and commit it).
 */
function checkGolden(root: string, name: string, text: string, update: boolean): void {
  const dir = join(root, name);
  const file = join(dir, 'expected.txt');
  if (update) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
  }
  assert.ok(
    existsSync(file),
    `golden ${name} is missing (${file}); run with UPDATE_GOLDEN=1 to write it, then review and commit it`,
  );
  assert.equal(
    text,
    readFileSync(file, 'utf8'),
    `golden ${name} differs; run with UPDATE_GOLDEN=1 to accept`,
  );
}

function golden(name: string, text: string): void {
  checkGolden(GOLDEN, name, text, process.env.UPDATE_GOLDEN === '1');
}

const greeter = (greeting: string) =>
  port('greeter', {
    env: { GREETING: greeting },
    volumes: [{ name: 'data', mountPath: '/data' }],
    routes: [{ host: 'greeter.example.com', port: 8080 }],
  });

function planOf(workloads: ReturnType<typeof port>[], observed = emptyObserved()): Plan {
  return plan({ desired: desired(workloads), observed, observedFingerprint: 'fp', settings: SETTINGS });
}

describe('renderPlan', () => {
  it('create from empty', () => {
    golden(
      'create',
      renderPlan(
        planOf([
          greeter('hello'),
          app('blog', 'a'.repeat(40), { routes: [{ host: 'blog.example.com', port: 3000 }] }),
        ]),
      ),
    );
  });

  it('no changes', () => {
    const first = planOf([greeter('hello')]);
    golden('no-changes', renderPlan(planOf([greeter('hello')], observedAfter(first))));
  });

  it('replace, route change and removal with a retained volume', () => {
    const first = planOf([greeter('hello'), port('old', { volumes: [{ name: 'db', mountPath: '/db' }] })]);
    const changed = port('greeter', {
      env: { GREETING: 'hi' },
      volumes: [{ name: 'data', mountPath: '/data' }],
      routes: [{ host: 'www.example.com', port: 8080 }],
    });
    golden('mixed', renderPlan(planOf([changed], observedAfter(first))));
  });

  it('a resource backing off is named, with its retry time, and left out', () => {
    const first = planOf([greeter('hello')]);
    const next = greeter('hi');
    const p = plan({
      desired: desired([next]),
      observed: observedAfter(first),
      observedFingerprint: 'fp',
      settings: SETTINGS,
      history: {
        backoff: {
          now: new Date('2026-01-01T00:00:05Z'),
          resources: {
            'port/greeter': recordFailure(undefined, {
              fingerprint: desiredFingerprint(next),
              commit: 'b'.repeat(40),
              now: new Date('2026-01-01T00:00:00Z'),
            }),
          },
        },
      },
    });
    golden('backing-off', renderPlan(p));
  });

  it('secrets apply writes first are listed by name, never by value', () => {
    const p = plan({
      desired: desired([greeter('hello')]),
      observed: emptyObserved(),
      observedFingerprint: 'fp',
      settings: SETTINGS,
      history: {
        secrets: [
          {
            name: 'hiy.generated.db.DB_PASSWORD',
            resource: 'port/db',
            change: 'create',
            reason: 'its port declaration has HIY generate it (24 characters)',
          },
          {
            name: 'hiy.link.greeter.DATABASE_URL',
            resource: 'port/greeter',
            change: 'write',
            reason: 'the value port/db provides',
          },
        ],
      },
    });
    golden('secrets', renderPlan(p));
  });
});

describe('golden files', () => {
  it('a missing golden fails (only UPDATE_GOLDEN=1 writes one); a different one fails', () => {
    const root = mkdtempSync(join(tmpdir(), 'hiy-golden-'));
    try {
      assert.throws(() => checkGolden(root, 'new', 'text\n', false), /golden new is missing/);
      assert.equal(existsSync(join(root, 'new')), false, 'nothing written without UPDATE_GOLDEN=1');
      checkGolden(root, 'new', 'text\n', true);
      checkGolden(root, 'new', 'text\n', false);
      assert.throws(() => checkGolden(root, 'new', 'other\n', false), /golden new differs/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
