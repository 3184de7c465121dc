// A Port's effective spec: its declaration's defaults under what the spec says, and every way the spec breaks
// the declaration, as diagnostics at the field. Pure.
import { diagnosticAt } from '../desired/crossCheck.js';
import type { LocatedResource } from '../desired/types.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { PortDeclaration } from '../model/portContract.js';
import type { HealthCheck, PortResource, VolumeMount } from '../model/resources.js';

/** The secret-store name HIY gives a generated secret: one per resource and variable. */
export function generatedSecretName(resource: string, variable: string): string {
  return `hiy.generated.${resource}.${variable}`;
}

/** A secret the effective spec names that HIY must create once (random, `length` characters). */
export interface SecretToGenerate {
  name: string;
  length: number;
}

export interface EffectivePort {
  resource: PortResource;
  diagnostics: Diagnostic[];
  generate: SecretToGenerate[];
}

/** `port email 1.2.0`, the way diagnostics name a declaration. */
export function portTitle(d: PortDeclaration): string {
  return `port ${d.name} ${d.version}`;
}

/** Spec fields the declaration fills in when the spec leaves them out, and the checks of those it gives. */
export function effectivePort(
  lr: LocatedResource & { resource: PortResource },
  decl: PortDeclaration,
): EffectivePort {
  const spec = lr.resource.spec;
  const title = portTitle(decl);
  const diagnostics: Diagnostic[] = [];
  const at = (path: string, summary: string, severity: Diagnostic['severity'] = 'error', detail?: string) =>
    diagnostics.push(diagnosticAt(lr, path, { summary, severity, ...(detail && { detail }) }));

  const env = { ...(spec.env ?? {}) };
  const secretEnv = { ...(spec.secretEnv ?? {}) };
  const generate: SecretToGenerate[] = [];
  for (const [name, v] of Object.entries(decl.env)) {
    const given = spec.env?.[name];
    if (v.secret && given !== undefined) {
      at(
        `spec.env.${name}`,
        `is a secret of ${title} (${v.description}): give it in spec.secretEnv, not in env`,
        'error',
        `hiy secret set NAME, then spec.secretEnv.${name}: NAME`,
      );
      continue;
    }
    if (given !== undefined && v.pattern !== undefined && !new RegExp(`^(?:${v.pattern})$`).test(given)) {
      at(`spec.env.${name}`, `does not match ${v.pattern}, required by ${title}: ${v.description}`);
    }
    if (given !== undefined || name in secretEnv) continue;
    if (v.default !== undefined && !v.secret) env[name] = v.default;
    else if (v.generate) {
      const secret = generatedSecretName(lr.resource.metadata.name, name);
      secretEnv[name] = secret;
      generate.push({ name: secret, length: v.generate.length });
    } else if (v.required) {
      at(`spec.env.${name}`, `required by ${title}: ${v.description}`);
    }
  }
  for (const name of [...Object.keys(spec.env ?? {}), ...Object.keys(spec.secretEnv ?? {})]) {
    if (!(name in decl.env)) {
      const field = name in (spec.env ?? {}) ? 'env' : 'secretEnv';
      at(`spec.${field}.${name}`, `is not a variable of ${title}`, 'warning');
    }
  }

  let volumes: VolumeMount[] | undefined = spec.volumes;
  if (!volumes) volumes = decl.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath }));
  else {
    for (const v of decl.volumes) {
      if (!volumes.some((m) => m.mountPath === v.mountPath)) {
        at(
          'spec.volumes',
          `${v.mountPath} is not mounted: ${title} keeps ${v.description} there`,
          'error',
          `add { name: ${v.name}, mountPath: ${v.mountPath} } (or leave spec.volumes out to take the declared ones)`,
        );
      }
    }
  }

  (spec.routes ?? []).forEach((r, i) => {
    const declared = decl.ports.find((p) => p.containerPort === r.port);
    if (declared && !declared.http)
      at(
        `spec.routes[${i}].port`,
        `port ${r.port} of ${title} (${declared.description}) does not speak HTTP, but Caddy would proxy HTTP to it`,
        'warning',
        'route the ports the declaration marks http: true; publish the others with spec.ports',
      );
  });

  const expose = spec.expose ?? (decl.ports.length ? decl.ports.map((p) => p.containerPort) : undefined);
  let healthcheck: HealthCheck | undefined = spec.healthcheck;
  if (!healthcheck && decl.healthcheck) {
    const { http, tcp, command, interval, timeout } = decl.healthcheck;
    healthcheck = { interval, timeout };
    if (http) healthcheck.http = { ...http };
    if (tcp) healthcheck.tcp = { ...tcp };
    if (command) healthcheck.command = [...command];
  }

  const effective: PortResource['spec'] = { ...spec, env, volumes };
  if (Object.keys(secretEnv).length) effective.secretEnv = secretEnv;
  if (expose) effective.expose = [...new Set(expose)].sort((a, b) => a - b);
  if (healthcheck) effective.healthcheck = healthcheck;
  return { resource: { ...lr.resource, spec: effective }, diagnostics, generate };
}
