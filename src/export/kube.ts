// `hiy export kube`: the committed state as Kubernetes manifests (and play.sh for Podman), deterministic. Pure.
import { stringify } from 'yaml';
import type { AppResource, PortResource } from '../model/resources.js';
import type { DesiredWorkload } from '../model/workload.js';
import { cronJobsOf } from './cronJobs.js';
import { claimName, secretObjectName } from './names.js';
import { networkPoliciesOf } from './networkPolicies.js';
import { loadDataScript, loaderPodName, playScript } from './play.js';
import { containerWarnings } from './podSpec.js';
import { ingressesOf } from './routes.js';
import { podmanSecretData, secretObject, secretsNamed } from './secrets.js';
import type { ExportFile, ExportWarning, KubeExport, KubeExportInput, KubeObject } from './types.js';
import { claimsOf, deploymentOf, serviceOf } from './workloads.js';

/** The Kubernetes version whose OpenAPI schemas every manifest is validated against (kubernetes-models). */
export const KUBERNETES_VERSION = '1.27';

/** The image of the loader pods of load-data.sh: any image with sh, tar and sha256sum. */
export const LOADER_IMAGE = 'docker.io/library/busybox:1.36';

function yamlFile(path: string, header: string, objects: KubeObject[], mode = 0o644): ExportFile {
  const comment = header
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n');
  const docs = objects.map((o) =>
    stringify(o, { lineWidth: 0, sortMapEntries: false, aliasDuplicateObjects: false }).trimEnd(),
  );
  return { path, mode, text: `${comment}\n${docs.map((d) => `---\n${d}`).join('\n')}\n` };
}

function workloadResource(
  input: KubeExportInput,
  w: DesiredWorkload,
): (AppResource | PortResource) | undefined {
  const lr = input.resources.find((r) => r.resource.kind === w.kind && r.resource.metadata.name === w.name);
  return lr?.resource as AppResource | PortResource | undefined;
}

/** The header every file starts with: where it came from and how it was checked. */
export function exportHeader(commit: string): string {
  return [
    `Exported by hiy export kube from state repo commit ${commit}.`,
    `Kubernetes ${KUBERNETES_VERSION} manifests, validated against its OpenAPI schemas; see docs/kubernetes.md.`,
  ].join('\n');
}

/** Every manifest and script of the export, and what it could not express. */
export function exportKube(input: KubeExportInput): KubeExport {
  const header = exportHeader(input.commit);
  const workloads = [...input.workloads].sort((a, b) => a.name.localeCompare(b.name));
  const warnings: ExportWarning[] = [];
  const claims: KubeObject[] = [];
  const deployments: KubeObject[] = [];
  const services: KubeObject[] = [];
  const ingresses: KubeObject[] = [];
  const cronJobs: KubeObject[] = [];
  const expose = new Map<string, readonly number[]>();
  for (const w of workloads) {
    const resource = workloadResource(input, w);
    const exposed = resource?.spec.expose ?? [];
    expose.set(w.name, exposed);
    claims.push(...claimsOf(w, input.data));
    deployments.push(deploymentOf(w, exposed));
    const service = serviceOf(w, exposed);
    if (service) services.push(service);
    ingresses.push(...ingressesOf(w, input.tls, input.clusterIssuer));
    const jobs = cronJobsOf(w, resource?.spec.jobs ?? [], input.timeZone);
    cronJobs.push(...jobs.objects);
    warnings.push(...jobs.warnings, ...containerWarnings(w));
    if (resource?.spec.snapshots)
      warnings.push({
        resource: w.id,
        field: 'spec.snapshots',
        message:
          "HIY's verified snapshots have no Kubernetes equivalent here (VolumeSnapshots need a CSI driver): back up the claims another way",
      });
    if (w.certificateFor)
      warnings.push({
        resource: w.id,
        field: 'spec.tls.certificateFor',
        message: `the certificate of ${w.certificateFor} is not exported: mount a cert-manager Certificate's secret and set TLS_CERT_FILE and TLS_KEY_FILE`,
      });
  }
  const policies = networkPoliciesOf({
    workloads,
    expose,
    ingressNamespace: input.ingressNamespace ?? 'kube-system',
  });
  const files: ExportFile[] = [];
  const secrets = secretsNamed(workloads);
  const secretObjects: KubeObject[] = [];
  if (input.secretValues) {
    for (const s of secrets) {
      const value = input.secretValues.get(s.hiy);
      if (value === undefined) {
        warnings.push({
          resource: '*',
          field: `secret ${s.hiy}`,
          message: `the secret ${s.hiy} is not set on this box: create ${s.kube} by hand`,
        });
        continue;
      }
      secretObjects.push(secretObject(s.kube, s.hiy, value));
      files.push({ path: `podman/secrets/${s.kube}.json`, text: podmanSecretData(value), mode: 0o600 });
    }
    if (secretObjects.length > 0) files.push(yamlFile('secrets.yaml', header, secretObjects, 0o600));
  }
  if (claims.length > 0) files.push(yamlFile('volumes.yaml', header, claims));
  const podmanDeployments = deployments.map(forPodman);
  if (deployments.length > 0) {
    files.push(yamlFile('workloads.yaml', header, deployments));
    files.push(yamlFile('podman/workloads.yaml', podmanHeader(header), podmanDeployments));
  }
  if (services.length > 0) files.push(yamlFile('services.yaml', header, services));
  if (ingresses.length > 0) files.push(yamlFile('ingresses.yaml', header, ingresses));
  files.push(yamlFile('network-policies.yaml', header, policies));
  if (cronJobs.length > 0) files.push(yamlFile('cronjobs.yaml', header, cronJobs));
  const loaders: KubeObject[] = [];
  const archives = [...(input.data?.values() ?? [])].sort((a, b) => a.claim.localeCompare(b.claim));
  for (const a of archives) {
    const loader = loaderPod(a.claim);
    loaders.push(loader);
    files.push(yamlFile(`data/loader-${a.claim}.yaml`, header, [loader]));
  }
  if (archives.length > 0)
    files.push({ path: 'data/load-data.sh', text: loadDataScript(header, archives), mode: 0o755 });
  files.push({
    path: 'play.sh',
    mode: 0o755,
    text: playScript({
      header,
      secrets: secrets.map((s) => s.kube),
      claims: workloads.flatMap((w) =>
        w.volumes.map((v) => {
          const name = claimName(w.name, v.name);
          const archive = input.data?.get(name);
          return archive ? { name, archive } : { name };
        }),
      ),
      hasWorkloads: deployments.length > 0,
    }),
  });
  files.sort((a, b) => a.path.localeCompare(b.path));
  return {
    files,
    warnings,
    manifests: [
      ...secretObjects,
      ...claims,
      ...deployments,
      ...podmanDeployments,
      ...services,
      ...ingresses,
      ...policies,
      ...cronJobs,
      ...loaders,
    ],
  };
}

function podmanHeader(header: string): string {
  return `${header}\nThe Deployments as play.sh gives them to podman kube play: see forPodman in src/export/kube.ts.`;
}

type Container = { ports?: { hostPort?: number }[]; [probe: string]: unknown };

/**
 * A Deployment as Podman 4.3 plays it the way Kubernetes would run it. Images already on the box are used
 * (`imagePullPolicy: IfNotPresent`: kube play pulls `:latest` otherwise). `podman kube play` publishes every
 * container port on the host (a port without hostPort gets its own number, on every address), so only the
 * published ones (hostPort) stay; and it runs httpGet and tcpSocket probes with curl inside the container,
 * which most images lack, so only exec probes stay.
 */
export function forPodman(deployment: KubeObject): KubeObject {
  const spec = deployment.spec as { template: { spec: { containers: Container[] } } };
  const containers = spec.template.spec.containers.map((c) => {
    // Podman pulls a `:latest` image before playing it unless told not to: a local image (`localhost/…`) would
    // be asked of a registry at https://localhost first.
    const out: Container = { ...c, imagePullPolicy: 'IfNotPresent' };
    const ports = (c.ports ?? []).filter((p) => p.hostPort !== undefined);
    if (ports.length > 0) out.ports = ports;
    else delete out.ports;
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const p = out[probe] as { exec?: unknown } | undefined;
      if (p && !p.exec) delete out[probe];
    }
    return out;
  });
  return {
    ...deployment,
    spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers } } },
  };
}

/** The pod load-data.sh uses to unpack an archive into a claim. */
function loaderPod(claim: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: loaderPodName(claim), labels: { 'app.kubernetes.io/managed-by': 'hiy-export' } },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'loader',
          image: LOADER_IMAGE,
          command: ['sleep', '3600'],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
    },
  };
}

export { secretObjectName };
