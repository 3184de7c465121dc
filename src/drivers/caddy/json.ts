// Small helpers for reading and building Caddy's untyped JSON config (shared by render.ts and validate.ts).

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? [...v] : undefined;
}

/** The object at `path` under `root`, or undefined when something on the way is not an object. */
export function objectAt(root: Json, path: string[]): Json | undefined {
  let cur: unknown = root;
  for (const k of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return isObject(cur) ? cur : undefined;
}
