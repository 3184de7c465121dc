// Golden files for the human plan view: one directory per case, expected text next to the test.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { desiredFingerprint, recordFailure } from '../../../src/engine/backoff.js';
import { plan } from '../../../src/plan/plan.js';
import { renderPlan } from '../../../src/plan/render.js';
import type { Plan } from '../../../src/plan/types.js';
import { app, desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const GOLDEN = join(import.meta.dirname, 'golden');

function golden(name: string, text: string): void {
  const dir = join(GOLDEN, name);
  const file = join(dir, 'expected.txt');
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
  }
  assert.equal(
    text,
    readFileSync(file, 'utf8'),
    `golden ${name} differs; run with UPDATE_GOLDEN=1 to accept`,
  );
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
});
