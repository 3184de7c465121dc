// Every exported manifest checked against the Kubernetes OpenAPI schemas (kubernetes-models, Kubernetes 1.27).

import { Deployment } from 'kubernetes-models/apps/v1';
import { CronJob } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PersistentVolumeClaim, Pod, Secret, Service } from 'kubernetes-models/v1';
import { errorMessage } from '../model/errors.js';
import type { KubeObject } from './types.js';

type Model = { validate(): void };
const MODELS: Record<string, (o: KubeObject) => Model> = {
  'apps/v1/Deployment': (o) => new Deployment(o as never),
  'batch/v1/CronJob': (o) => new CronJob(o as never),
  'networking.k8s.io/v1/Ingress': (o) => new Ingress(o as never),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o as never),
  'v1/PersistentVolumeClaim': (o) => new PersistentVolumeClaim(o as never),
  'v1/Pod': (o) => new Pod(o as never),
  'v1/Secret': (o) => new Secret(o as never),
  'v1/Service': (o) => new Service(o as never),
};

/** The schema problems of each manifest, `Kind/name: problem`; empty when all are valid. */
export function schemaProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const make = MODELS[`${o.apiVersion}/${o.kind}`];
    if (!make) {
      problems.push(`${o.kind}/${o.metadata.name}: no schema known for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      make(o).validate();
    } catch (err) {
      problems.push(`${o.kind}/${o.metadata.name}: ${errorMessage(err)}`);
    }
  }
  return problems;
}
