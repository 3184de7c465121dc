// The default health check of Apps built without a Containerfile: where it applies, what it probes, what it says.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitHealthy } from '../../../src/apply/health.js';
import { isGeneratedBuild } from '../../../src/desired/generatedBuild.js';
import type { GitReader } from '../../../src/drivers/git/types.js';
import type { PodmanDriver, RunSpec } from '../../../src/drivers/podman/types.js';
import { objectNames } from '../../../src/model/names.js';
import { AppResource } from '../../../src/model/resources.js';
import { type BuildSource, defaultHealthCheck, toDesiredWorkload } from '../../../src/model/workload.js';

function appWorkload(spec: Record<string, unknown>, build: Partial<BuildSource> = {}) {
  const resource = AppResource.parse({
    apiVersion: 'hiy/v1',
    kind: 'App',
    metadata: { name: 'api' },
    spec: { source: { git: '/srv/src/api' }, ...spec },
  });
  return toDesiredWorkload(resource, {
    names: objectNames('default'),
    build: { gitDir: '/srv/src/api', branch: 'main', commit: 'c'.repeat(40), context: '.', ...build },
  });
}

const ROUTES = { routes: [{ host: 'api.test', port: 8080 }] };

describe('the default health check of generated builds', () => {
  it('probes HTTP GET / on $PORT (any status below 500) for a routed App, TCP otherwise; published on loopback', () => {
    const routed = appWorkload(ROUTES, { generated: true });
    assert.deepEqual(routed.healthcheck?.probe, { kind: 'http', path: '/', port: 8080, acceptBelow: 500 });
    assert.match(routed.healthcheck?.expectation ?? '', /must listen on \$PORT \(8080\)/);
    const worker = appWorkload({}, { generated: true });
    assert.deepEqual(worker.healthcheck?.probe, { kind: 'tcp', port: 8080 });
    assert.deepEqual(worker.internalPorts, [8080]);
  });

  it('never replaces a declared check, and a Containerfile of its own gets none', () => {
    const declared = appWorkload(
      { ...ROUTES, healthcheck: { tcp: { port: 8080 }, interval: '2s', timeout: '5s' } },
      { generated: true },
    );
    assert.deepEqual(declared.healthcheck?.probe, { kind: 'tcp', port: 8080 });
    assert.equal(declared.healthcheck?.expectation, undefined);
    assert.equal(appWorkload(ROUTES).healthcheck, undefined);
  });

  it('is known from the commit: no Containerfile or Dockerfile in the context means generated', async () => {
    const trees: Record<string, string[]> = {
      a: ['main.go', 'go.mod'],
      b: ['Dockerfile', 'main.go'],
      c: ['web/Containerfile', 'Dockerfile'],
    };
    const git = {
      listFiles: async (_dir: string, commit: string) => {
        const files = trees[commit];
        if (!files) throw new Error('no such commit');
        return files.map((path) => ({ path, oid: path }));
      },
    } as unknown as GitReader;
    const src = (commit: string, context = '.') => ({ gitDir: '/g', commit, context });
    assert.equal(await isGeneratedBuild(git, src('a')), true);
    assert.equal(await isGeneratedBuild(git, src('b')), false);
    assert.equal(await isGeneratedBuild(git, src('c', 'web/')), false);
    assert.equal(await isGeneratedBuild(git, src('a', 'web')), true);
    assert.equal(await isGeneratedBuild(git, { ...src('a'), dockerfile: 'build/Dockerfile' }), false);
    assert.equal(await isGeneratedBuild(git, src('gone')), undefined);
  });

  it('accepts a 404 from an app that has no page at /, and names the port it expected when nothing answers', async () => {
    const run = { name: 'hiy-api', publish: [{ hostIp: '127.0.0.1', hostPort: 31000, containerPort: 8080 }] };
    const deps = (status: number | Error) => ({
      podman: {} as PodmanDriver,
      prober: {
        httpGet: async () => {
          if (status instanceof Error) throw status;
          return status;
        },
        tcpConnect: async () => undefined,
      },
      sleep: async () => undefined,
    });
    const hc = defaultHealthCheck(true);
    await waitHealthy(hc, run as unknown as RunSpec, deps(404));
    let t = 0;
    await assert.rejects(
      waitHealthy(hc, run as unknown as RunSpec, {
        ...deps(new Error('connect ECONNREFUSED')),
        now: () => (t += 5000),
      }),
      /did not become healthy within 60s: connect ECONNREFUSED \(an App built without a Containerfile must listen on \$PORT \(8080\)/,
    );
    await assert.rejects(
      waitHealthy(hc, run as unknown as RunSpec, { ...deps(502), now: () => (t += 5000) }),
      /GET \/ on port 8080 answered 502/,
    );
  });
});
