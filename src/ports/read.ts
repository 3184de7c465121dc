// Reading port declarations from images: one `podman image inspect` of the images not seen before, cached by image id.

import type { PodmanDriver } from '../drivers/podman/types.js';
import type { ContainerInfo } from '../model/containers.js';
import { errorMessage } from '../model/errors.js';
import { PORT_LABEL, PortDeclaration } from '../model/portContract.js';
import type { PortDeclarationStore } from '../store/portDeclarations.js';

/** What is known of one image reference. */
export type ImageDeclaration =
  /** The image is not on the box: nothing could be checked. */
  | { kind: 'absent'; ref: string }
  /** The image carries no `io.hiy.port.v1` label: a bare image, used as the spec says. */
  | { kind: 'bare'; ref: string; imageId: string }
  /** The label is there but is not a valid declaration: every problem, as `field: message`. */
  | { kind: 'invalid'; ref: string; imageId: string; problems: string[] }
  | { kind: 'declared'; ref: string; imageId: string; declaration: PortDeclaration };

/** Parses and validates a label's text. */
export function parseDeclarationLabel(
  text: string,
): { declaration: PortDeclaration } | { problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problems: [`${PORT_LABEL} is not JSON: ${errorMessage(err)}`] };
  }
  const r = PortDeclaration.safeParse(json);
  if (r.success) return { declaration: r.data };
  return {
    problems: r.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`),
  };
}

function fromLabel(ref: string, imageId: string, label: string | null): ImageDeclaration {
  if (label === null) return { kind: 'bare', ref, imageId };
  const parsed = parseDeclarationLabel(label);
  return 'declaration' in parsed
    ? { kind: 'declared', ref, imageId, declaration: parsed.declaration }
    : { kind: 'invalid', ref, imageId, problems: parsed.problems };
}

export interface ReadDeclarationsInput {
  podman: Pick<PodmanDriver, 'inspectImage' | 'inspectImages'>;
  cache: Pick<PortDeclarationStore, 'read' | 'write'>;
  refs: Iterable<string>;
  /**
   * The containers observed on the box: a reference whose cached id differs from the id a container of that
   * reference runs (a tag rebuilt) is inspected again. Otherwise a reference seen before costs no call.
   */
  containers: ContainerInfo[];
}

/**
 * The declaration of each image reference. Inspects only references not seen before (or whose image the box
 * shows has changed) and images not on the box; writes the cache only when it learnt something.
 */
export async function readDeclarations(input: ReadDeclarationsInput): Promise<Map<string, ImageDeclaration>> {
  const cache = await input.cache.read();
  const running = new Map<string, Set<string>>();
  for (const c of input.containers) {
    const ids = running.get(c.image) ?? new Set<string>();
    ids.add(c.imageId);
    running.set(c.image, ids);
  }
  const out = new Map<string, ImageDeclaration>();
  let learnt = false;
  const stale: string[] = [];
  for (const ref of new Set(input.refs)) {
    const id = cache.refs[ref];
    const seen = running.get(ref);
    const fresh = id !== undefined && id in cache.labels && (!seen || [...seen].every((s) => sameId(s, id)));
    if (fresh) out.set(ref, fromLabel(ref, id, cache.labels[id] ?? null));
    else stale.push(ref);
  }
  // Several at once in one call where the driver can (a process start costs more than the inspection).
  const inspected =
    stale.length > 1 && input.podman.inspectImages ? await input.podman.inspectImages(stale) : undefined;
  for (const ref of stale) {
    const info = inspected ? inspected.get(ref) : await input.podman.inspectImage(ref);
    if (!info) {
      out.set(ref, { kind: 'absent', ref });
      continue;
    }
    const label = info.labels[PORT_LABEL] ?? null;
    cache.refs[ref] = info.id;
    cache.labels[info.id] = label;
    learnt = true;
    out.set(ref, fromLabel(ref, info.id, label));
  }
  if (learnt) await input.cache.write(cache);
  return out;
}

/** Podman shows ids with and without `sha256:` and sometimes shortened. */
function sameId(a: string, b: string): boolean {
  const x = a.replace(/^sha256:/, '');
  const y = b.replace(/^sha256:/, '');
  return x.startsWith(y) || y.startsWith(x);
}
