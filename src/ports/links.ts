// Service links: `links: [port/db]` gives a workload the linked Port's `provides` values as environment
// (`${host}`, `${env.X}`, `${secret.X}`; a value with a secret in it stays a secret) and makes the Port a link
// target, reached by name on the instance network.
import { diagnosticAt } from '../desired/crossCheck.js';
import type { DesiredState, LocatedResource } from '../desired/types.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { objectNames, resourceId } from '../model/names.js';
import type { PortDeclaration } from '../model/portContract.js';
import type { AppResource, PortResource } from '../model/resources.js';
import { type DesiredWorkload, hashOf, toDesiredWorkload } from '../model/workload.js';
import type { SecretSource } from '../store/secrets.js';
import type { PendingSecret } from './secrets.js';

/** The secret-store name of a linked value that carries a secret: one per linking resource and variable. */
export function linkSecretName(resource: string, variable: string): string {
  return `hiy.link.${resource}.${variable}`;
}

const PLACEHOLDER = /\$\{(host|env\.([A-Za-z_][A-Za-z0-9_]*)|secret\.([A-Za-z_][A-Za-z0-9_]*))\}/g;

export interface ResolveLinksInput {
  state: DesiredState;
  declarations: Map<string, PortDeclaration>;
  /**
   * Where secret values are read, to render the linked values that carry one (written by apply, never here);
   * without it (validate) only the links are checked.
   */
  secrets?: Pick<SecretSource, 'value'>;
  /** Secrets still to be generated: a linked value made from one is known only once apply generated it. */
  generating?: ReadonlySet<string>;
  instance: string;
}

type WorkloadResource = LocatedResource & { resource: AppResource | PortResource };

/**
 * One provided value rendered from its template for the linking workload: `{host}`, the target's env and its
 * secrets' values. `secret`: it carries a secret; `unknown`: that secret is yet to be generated.
 */
async function renderProvided(
  template: string,
  target: DesiredWorkload,
  link: string,
  input: ResolveLinksInput,
): Promise<{ value: string; secret: boolean; unknown: boolean; problems: string[] }> {
  let secret = false;
  let unknown = false;
  const problems: string[] = [];
  const values: Promise<string>[] = [];
  template.replace(PLACEHOLDER, (_m, what: string, envName?: string, secretName?: string) => {
    if (what === 'host') values.push(Promise.resolve(target.name));
    else if (envName !== undefined) {
      const v = target.env[envName];
      if (v === undefined) problems.push(`${envName} is not set on ${link}`);
      values.push(Promise.resolve(v ?? ''));
    } else {
      secret = true;
      const ref = target.secretEnv?.[secretName!];
      if (!ref) problems.push(`${secretName} is not a secret of ${link}`);
      if (ref && input.generating?.has(ref)) unknown = true;
      values.push(ref && input.secrets ? input.secrets.value(ref).then((v) => v ?? '') : Promise.resolve(''));
    }
    return '';
  });
  const resolved = await Promise.all(values);
  let k = 0;
  const value = template.replace(PLACEHOLDER, () => resolved[k++] ?? '');
  return { value, secret, unknown, problems };
}

/**
 * Checks every link, renders the provided values and rebuilds the linking workloads; marks the link targets.
 * A linked value carrying a secret that the store does not hold as rendered is returned in `secrets`.
 */
export async function resolveLinks(
  input: ResolveLinksInput,
): Promise<{ state: DesiredState; diagnostics: Diagnostic[]; secrets: PendingSecret[] }> {
  const diagnostics: Diagnostic[] = [];
  const pending: PendingSecret[] = [];
  const byId = new Map(input.state.workloads.map((w) => [w.id as string, w]));
  const rebuilt = new Map<string, DesiredWorkload>();
  /** Link target → the workloads linking to it. */
  const targets = new Map<string, string[]>();
  const names = objectNames(input.instance);
  const linking = input.state.resources.filter(
    (lr): lr is WorkloadResource =>
      (lr.resource.kind === 'App' || lr.resource.kind === 'Port') && !!lr.resource.spec.links?.length,
  );
  for (const lr of linking) {
    const id = resourceId(lr.resource.kind, lr.resource.metadata.name);
    const own = byId.get(id);
    if (!own) continue;
    const at = (i: number, summary: string) =>
      diagnostics.push(diagnosticAt(lr, `spec.links[${i}]`, { summary, resource: id }));
    const env: Record<string, string> = {};
    const secretEnv: Record<string, string> = {};
    const links: Record<string, string> = {};
    const spec = lr.resource.spec;
    for (const [i, link] of (spec.links ?? []).entries()) {
      const target = byId.get(link);
      const decl = input.declarations.get(link);
      if (link === id) at(i, 'a resource cannot link to itself');
      else if (!target) at(i, `${link} does not exist in the state repo`);
      else if (!decl || Object.keys(decl.provides).length === 0)
        at(i, `${link} provides nothing: its image declares no provides (docs/ports.md)`);
      if (!target || !decl || link === id) continue;
      links[target.name] = link;
      targets.set(link, [...(targets.get(link) ?? []), id]);
      for (const [variable, template] of Object.entries(decl.provides)) {
        if (spec.env?.[variable] !== undefined || spec.secretEnv?.[variable] !== undefined) continue; // the spec wins
        const { value, secret, unknown, problems } = await renderProvided(template, target, link, input);
        if (problems.length) {
          at(i, `${link} provides ${variable}, but ${problems.join('; ')}`);
          continue;
        }
        if (!secret) env[variable] = value;
        else {
          const name = linkSecretName(lr.resource.metadata.name, variable);
          secretEnv[variable] = name;
          if (input.secrets && (unknown || (await input.secrets.value(name)) !== value))
            pending.push({
              name,
              resource: id,
              kind: 'link',
              from: link,
              ...(!unknown && { value }),
            });
        }
      }
    }
    const resource = {
      ...lr.resource,
      spec: {
        ...spec,
        env: { ...env, ...(spec.env ?? {}) },
        ...(Object.keys(secretEnv).length > 0 && { secretEnv: { ...secretEnv, ...(spec.secretEnv ?? {}) } }),
      },
    } as AppResource | PortResource;
    const w = toDesiredWorkload(resource, { names, ...(own.build && { build: own.build }) });
    rebuilt.set(id, { ...w, ...(own.port && { port: own.port }), links });
  }
  const workloads = input.state.workloads.map((w) => {
    const next = rebuilt.get(w.id) ?? w;
    // A link target runs at a fixed address: its hash changes once, so a running one is recreated with it.
    const linkedBy = targets.get(w.id);
    return linkedBy
      ? {
          ...next,
          linkTarget: true,
          linkedBy: [...linkedBy].sort(),
          specHash: hashOf({ spec: next.specHash, linkTarget: true }),
        }
      : next;
  });
  return { state: { ...input.state, workloads }, diagnostics, secrets: pending };
}
