// The port contract in the desired state: each Port's image declaration read, checked and folded into its spec.
import { diagnosticAt } from '../desired/crossCheck.js';
import type { DesiredState, LocatedResource } from '../desired/types.js';
import type { PodmanDriver } from '../drivers/podman/types.js';
import type { ContainerInfo } from '../model/containers.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { objectNames, resourceId } from '../model/names.js';
import { PORT_LABEL, type PortDeclaration } from '../model/portContract.js';
import type { PortResource } from '../model/resources.js';
import { toDesiredWorkload } from '../model/workload.js';
import type { PortDeclarationStore } from '../store/portDeclarations.js';
import type { SecretSource } from '../store/secrets.js';
import { effectivePort } from './effective.js';
import { resolveLinks } from './links.js';
import { type ImageDeclaration, readDeclarations } from './read.js';
import type { PendingSecret } from './secrets.js';

export interface ResolvePortsInput {
  podman: Pick<PodmanDriver, 'inspectImage' | 'inspectImages'>;
  cache: Pick<PortDeclarationStore, 'read' | 'write'>;
  /**
   * Where secret values are read, to find the generated and linked secrets still to be written (nothing is
   * written here: apply writes them, see secrets.ts); without it (`hiy validate`) none are looked for.
   */
  secrets?: Pick<SecretSource, 'value'>;
  instance: string;
  state: DesiredState;
  containers: ContainerInfo[];
}

export interface ResolvedPorts {
  /** The state with every declared Port's effective spec (and its workload rebuilt from it). */
  state: DesiredState;
  /** Errors and warnings against the declarations, at the field of the state repo file. */
  diagnostics: Diagnostic[];
  /** Each Port resource's declaration, for the hooks and data versions. */
  declarations: Map<string, PortDeclaration>;
  /** Generated and linked secrets the store does not hold yet (or not with the linked value); empty on errors. */
  secrets: PendingSecret[];
}

function isPort(lr: LocatedResource): lr is LocatedResource & { resource: PortResource } {
  return lr.resource.kind === 'Port';
}

function imageDiagnostic(lr: LocatedResource, info: ImageDeclaration): Diagnostic | undefined {
  if (info.kind === 'absent') {
    return diagnosticAt(lr, 'spec.image', {
      severity: 'warning',
      summary: `${info.ref} is not on the box: its port declaration could not be checked`,
    });
  }
  if (info.kind === 'invalid') {
    return diagnosticAt(lr, 'spec.image', {
      summary: `${info.ref} has an invalid ${PORT_LABEL} declaration: ${info.problems.join('; ')}`,
    });
  }
  return undefined;
}

/**
 * Reads the declarations of every Port's image (one inspect per image not seen before), checks each spec
 * against its declaration and fills in what the spec leaves out. Writes nothing: the generated secrets not yet
 * stored and the linked values that differ are returned, for apply to write under its lock.
 */
export async function resolvePorts(input: ResolvePortsInput): Promise<ResolvedPorts> {
  const ports = input.state.resources.filter(isPort);
  const infos = await readDeclarations({
    podman: input.podman,
    cache: input.cache,
    refs: ports.map((lr) => lr.resource.spec.image),
    containers: input.containers,
  });
  const diagnostics: Diagnostic[] = [];
  const declarations = new Map<string, PortDeclaration>();
  const effective = new Map<string, PortResource>();
  const pending: PendingSecret[] = [];
  for (const lr of ports) {
    const info = infos.get(lr.resource.spec.image);
    if (!info) continue;
    const d = imageDiagnostic(lr, info);
    if (d) diagnostics.push(d);
    if (info.kind !== 'declared') continue;
    const id = resourceId('Port', lr.resource.metadata.name);
    const result = effectivePort(lr, info.declaration);
    diagnostics.push(...result.diagnostics);
    declarations.set(id, info.declaration);
    effective.set(id, result.resource);
    for (const g of result.generate)
      if (input.secrets && (await input.secrets.value(g.name)) === undefined)
        pending.push({ name: g.name, resource: id, kind: 'generate', length: g.length });
  }
  if (diagnostics.some((d) => d.severity === 'error'))
    return { state: input.state, diagnostics, declarations, secrets: [] };
  const names = objectNames(input.instance);
  const resources = input.state.resources.map((lr) => {
    const r = effective.get(resourceId(lr.resource.kind, lr.resource.metadata.name));
    return r ? { ...lr, resource: r } : lr;
  });
  const workloads = input.state.workloads.map((w) => {
    const r = effective.get(w.id);
    const decl = declarations.get(w.id);
    if (!r || !decl) return w;
    const port = { name: decl.name, version: decl.version, dataVersion: decl.dataVersion, hooks: decl.hooks };
    return { ...toDesiredWorkload(r, { names }), port };
  });
  const linked = await resolveLinks({
    state: { ...input.state, resources, workloads },
    declarations,
    ...(input.secrets && { secrets: input.secrets }),
    generating: new Set(pending.map((p) => p.name)),
    instance: input.instance,
  });
  diagnostics.push(...linked.diagnostics);
  return { state: linked.state, diagnostics, declarations, secrets: [...pending, ...linked.secrets] };
}
