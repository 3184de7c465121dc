// The fake Podman's images: references to ids, each id's labels, and the dangling leftovers of builds.
import { createHash } from 'node:crypto';
import { hasLabels } from './argv.js';
import { normalizeImageRef } from './fakeContainers.js';
import { type BuildSpec, type ImageInfo, PodmanError } from './types.js';

/** Images of one fake, by normalized reference. */
export class FakeImages {
  private readonly ids = new Map<string, string>();
  private readonly labels = new Map<string, Record<string, string>>();
  /** Untagged images no other image builds on (a build stage's leftovers): id → labels. */
  readonly dangling = new Map<string, Record<string, string>>();

  /** Makes an image exist; its id is a digest of its reference and labels. */
  add(ref: string, labels: Record<string, string>): void {
    const norm = normalizeImageRef(ref);
    const id = createHash('sha256')
      .update(`${norm}\0${JSON.stringify(labels)}`)
      .digest('hex');
    this.ids.set(norm, id);
    this.labels.set(id, { ...labels });
  }

  /** The image id a reference names, or undefined. */
  idOf(ref: string): string | undefined {
    return this.ids.get(normalizeImageRef(ref));
  }

  /** The image's id and labels, as `podman image inspect` gives them; undefined when absent. */
  inspect(ref: string): ImageInfo | undefined {
    const id = this.idOf(ref);
    return id === undefined ? undefined : { id, labels: { ...(this.labels.get(id) ?? {}) } };
  }

  /** The dangling images carrying every given label. */
  danglingWith(labels: Record<string, string>): string[] {
    return [...this.dangling].filter(([, l]) => hasLabels(l, labels)).map(([id]) => id);
  }

  /** Several images at once, each reference's id and labels (undefined when absent). */
  inspectAll(refs: readonly string[]): Map<string, ImageInfo | undefined> {
    return new Map(refs.map((ref) => [ref, this.inspect(ref)]));
  }

  /** A build that makes the image at once, printing lines shaped like Podman's; an aborted signal stops it. */
  build(spec: BuildSpec, onLine?: (line: string) => void): void {
    if (spec.signal?.aborted) {
      const why = String(spec.signal.reason ?? 'cancelled');
      throw new PodmanError(`podman build stopped: ${why}`, { argv: ['build', spec.tag], stopped: why });
    }
    onLine?.(`STEP 1/1: (fake build of ${spec.file})`);
    onLine?.(`COMMIT ${spec.tag}`);
    this.add(spec.tag, spec.labels);
    onLine?.(`Successfully tagged ${normalizeImageRef(spec.tag)}`);
  }
}
