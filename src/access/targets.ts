// The one resolver of what a caller names (`blog`, `app/blog`, `port/db`) to the App or Port it means.
import { parseResourceId } from '../model/names.js';

/** The names of the Apps and Ports a state holds (read from the head of the state repo). */
export interface WorkloadNames {
  apps: Iterable<string>;
  ports: Iterable<string>;
}

export type TargetResolution =
  | { ok: true; id: string }
  | { ok: false; code: 'TARGET_UNKNOWN' | 'TARGET_AMBIGUOUS'; message: string };

/**
 * What a caller named → the id of the App or Port it means, before any grant is checked and before anything
 * acts. `app/NAME` means the App NAME and nothing else (a Port of that name is not reached through it), and
 * `port/NAME` likewise; any other kind is refused. A bare name means the App or the Port of that name; a name
 * that is both (only in an invalid state: Apps and Ports share one namespace) is refused, never guessed.
 * Refusals name only what the caller typed.
 */
export function resolveTarget(name: string, names: WorkloadNames): TargetResolution {
  const apps = new Set(names.apps);
  const ports = new Set(names.ports);
  const unknown = (what: string): TargetResolution => ({
    ok: false,
    code: 'TARGET_UNKNOWN',
    message: `no ${what} named ${name.includes('/') ? name.slice(name.indexOf('/') + 1) : name} in the state repo`,
  });
  if (name.includes('/')) {
    const parsed = parseResourceId(name);
    if (parsed?.kind === 'App') return apps.has(parsed.name) ? { ok: true, id: name } : unknown('App');
    if (parsed?.kind === 'Port') return ports.has(parsed.name) ? { ok: true, id: name } : unknown('Port');
    return unknown('App or Port');
  }
  const isApp = apps.has(name);
  const isPort = ports.has(name);
  if (isApp && isPort) {
    return {
      ok: false,
      code: 'TARGET_AMBIGUOUS',
      message: `${name} is both an App and a Port in the state repo (which hiy validate refuses); give app/${name} or port/${name}`,
    };
  }
  if (isApp) return { ok: true, id: `app/${name}` };
  if (isPort) return { ok: true, id: `port/${name}` };
  return unknown('App or Port');
}

/** The names of the Apps and Ports among `resources` (any list of state documents). */
export function workloadNamesOf(
  resources: readonly { kind: string; metadata: { name: string } }[],
): WorkloadNames {
  return {
    apps: resources.filter((r) => r.kind === 'App').map((r) => r.metadata.name),
    ports: resources.filter((r) => r.kind === 'Port').map((r) => r.metadata.name),
  };
}

/** The same rule over resource ids (`app/blog`, `port/db`) as status, labels and releases hold them. */
export function workloadNamesOfIds(ids: Iterable<string>): WorkloadNames {
  const parsed = [...ids].map(parseResourceId);
  return {
    apps: parsed.filter((p) => p?.kind === 'App').map((p) => p!.name),
    ports: parsed.filter((p) => p?.kind === 'Port').map((p) => p!.name),
  };
}

/** resolveTarget over resource ids: the id, or undefined when the name means none of them (or, bare, two). */
export function resolveWorkloadName(name: string, ids: Iterable<string>): string | undefined {
  const r = resolveTarget(name, workloadNamesOfIds(ids));
  return r.ok ? r.id : undefined;
}
