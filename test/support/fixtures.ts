// Builders of desired and observed state for unit tests of pure logic (plan, render).
import type { DesiredState } from '../../src/desired/types.js';
import type { ContainerInfo } from '../../src/model/containers.js';
import { objectNames } from '../../src/model/names.js';
import { AppResource, PortResource } from '../../src/model/resources.js';
import type { Settings } from '../../src/model/settings.js';
import { type DesiredWorkload, toDesiredWorkload } from '../../src/model/workload.js';
import type { ObservedState } from '../../src/observed/types.js';
import type { Plan } from '../../src/plan/types.js';

export const SETTINGS: Pick<Settings, 'instance' | 'httpAddr' | 'httpsAddr' | 'tls' | 'upstreamPorts'> = {
  instance: 'default',
  httpAddr: ':80',
  httpsAddr: ':443',
  tls: 'off',
  upstreamPorts: { from: 20000, to: 29999 },
};

/** A Port workload from a partial spec (image defaults to a test image). */
export function port(name: string, spec: Record<string, unknown> = {}): DesiredWorkload {
  const resource = PortResource.parse({
    apiVersion: 'hiy/v1',
    kind: 'Port',
    metadata: { name },
    spec: { image: 'localhost/example/web:1', ...spec },
  });
  return toDesiredWorkload(resource, { names: objectNames(SETTINGS.instance) });
}

export function app(name: string, commit: string, spec: Record<string, unknown> = {}): DesiredWorkload {
  const resource = AppResource.parse({
    apiVersion: 'hiy/v1',
    kind: 'App',
    metadata: { name },
    spec: { source: { git: `/srv/src/${name}` }, ...spec },
  });
  return toDesiredWorkload(resource, {
    names: objectNames(SETTINGS.instance),
    build: { gitDir: `/srv/src/${name}`, branch: 'main', commit, context: '.' },
  });
}

export function desired(workloads: DesiredWorkload[], commit = 'c0ffee'.padEnd(40, '0')): DesiredState {
  return { repo: '/srv/state', branch: 'main', commit, resources: [], workloads, users: [] };
}

export function emptyObserved(): ObservedState {
  return {
    containers: [],
    portsInUse: [],
    volumes: [],
    caddyConfig: null,
    proxy: { present: false, pristine: true },
  };
}

/** What the box looks like after a plan was applied perfectly: used to check that re-planning is empty. */
export function observedAfter(plan: Plan, before: ObservedState = emptyObserved()): ObservedState {
  const containers = new Map(before.containers.map((c) => [c.name, c]));
  const volumes = new Map(before.volumes.map((v) => [v.name, v]));
  let n = 0;
  for (const a of plan.actions) {
    if (a.kind === 'volume.create')
      volumes.set(a.volume.name, { name: a.volume.name, labels: a.volume.labels, mountpoint: '' });
    if (a.kind === 'container.create' || a.kind === 'container.replace') {
      const c: ContainerInfo = {
        id: `id${n++}`,
        name: a.kind === 'container.replace' ? a.finalName : a.run.name,
        image: a.run.image,
        imageId: 'img',
        state: 'running',
        labels: a.run.labels,
        ports: a.run.publish.map((p) => ({
          hostIp: p.hostIp ?? '',
          hostPort: p.hostPort,
          containerPort: p.containerPort,
          protocol: p.protocol,
        })),
        createdAt: 0,
      };
      containers.set(c.name, c);
    }
    if (a.kind === 'container.start')
      containers.set(a.container.name, { ...containers.get(a.container.name)!, state: 'running' });
    if (a.kind === 'container.delete') containers.delete(a.container.name);
  }
  return {
    containers: [...containers.values()],
    portsInUse: before.portsInUse,
    volumes: [...volumes.values()],
    caddyConfig: null,
    proxy: {
      present: plan.proxy.routes.length > 0 || before.proxy.present,
      state: plan.proxy,
      pristine: true,
    },
  };
}
