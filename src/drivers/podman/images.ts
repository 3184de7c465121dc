// Images as the runner asks Podman about them: existence, inspection (one or many), dangling leftovers, and
// the command an image runs (which the secret shim must exec).
import {
  danglingImagesArgv,
  imageCommandArgv,
  imageExistsArgv,
  imageInspectArgv,
  imagesInspectArgv,
} from './argv.js';
import type { PodmanCalls } from './calls.js';
import { missingImages, parseDanglingImages, parseImageCommand, parseImageInspect } from './output.js';
import type { ImageCommand, ImageInfo } from './types.js';

export async function imageExists(podman: PodmanCalls, ref: string): Promise<boolean> {
  const { exitCode } = await podman.call(imageExistsArgv(ref), { okExitCodes: [1] });
  return exitCode === 0;
}

/** The image's entrypoint and cmd (the secret shim execs them). */
export async function imageCommand(podman: PodmanCalls, image: string): Promise<ImageCommand> {
  const argv = imageCommandArgv(image);
  const { stdout } = await podman.call(argv);
  return podman.parse(argv, () => parseImageCommand(stdout));
}

export async function inspectImage(podman: PodmanCalls, ref: string): Promise<ImageInfo | undefined> {
  const argv = imageInspectArgv(ref);
  const r = await podman.call(argv, { okExitCodes: [125] });
  if (r.exitCode !== 0) {
    if (/no such image|image not known|failed to find image/i.test(r.stderr)) return undefined;
    throw podman.failure(argv, r);
  }
  return podman.parse(argv, () => parseImageInspect(r.stdout));
}

export async function listDanglingImages(
  podman: PodmanCalls,
  labels: Record<string, string>,
): Promise<string[]> {
  const argv = danglingImagesArgv();
  const { stdout } = await podman.call(argv);
  return podman.parse(argv, () => parseDanglingImages(stdout, labels));
}

/**
 * One call for several images (`hiy validate` of a state naming many): the found ones' lines come in the
 * order asked, the missing ones are named on stderr. When the two do not add up (another Podman's wording),
 * each is inspected alone, so the answer never pairs a reference with another's image.
 */
export async function inspectImages(
  podman: PodmanCalls,
  refs: readonly string[],
): Promise<Map<string, ImageInfo | undefined>> {
  const unique = [...new Set(refs)];
  const out = new Map<string, ImageInfo | undefined>();
  if (unique.length === 0) return out;
  const argv = imagesInspectArgv(unique);
  const r = await podman.call(argv, { okExitCodes: [125] });
  const missing = missingImages(r.stderr);
  const found = unique.filter((ref) => !missing.has(ref));
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  if (lines.length === found.length && (r.exitCode === 0) === (missing.size === 0)) {
    for (const ref of unique) out.set(ref, undefined);
    found.forEach((ref, i) => {
      out.set(
        ref,
        podman.parse(argv, () => parseImageInspect(lines[i]!)),
      );
    });
    return out;
  }
  for (const ref of unique) out.set(ref, await inspectImage(podman, ref));
  return out;
}
