// The build stages of multi-stage builds: labelled as the App's, and the App's old ones pruned after a deploy.
import type { PodmanDriver } from '../drivers/podman/types.js';
import { LABEL_BUILD_STAGE, LABEL_COMMIT } from '../model/labels.js';

/**
 * The labels of an App's build stages: the image's labels but the commit, so they are the same at every push
 * and the stage's layers stay cached (a label that changed per commit would make the stage's last layer new,
 * and every stage built FROM it rebuild).
 */
export function stageLabels(imageLabels: Record<string, string>): Record<string, string> {
  const { [LABEL_COMMIT]: _commit, ...rest } = imageLabels;
  return { ...rest, [LABEL_BUILD_STAGE]: 'true' };
}

/**
 * The Containerfile with a LABEL instruction at the end of every stage but the last (before each FROM after
 * the first), so Podman's image of each build stage carries `labels`. Undefined when that cannot be done
 * safely: another escape character, a heredoc (a FROM line inside it is not an instruction), or label values
 * LABEL would expand. Pure.
 */
export function withStageLabels(text: string, labels: Record<string, string>): string | undefined {
  const entries = Object.entries(labels);
  if (/^#\s*escape\s*=/im.test(text) || /<<-?\s*["']?[A-Za-z_]/.test(text)) return undefined;
  if (entries.some(([k, v]) => /[$\\\n]/.test(k + v))) return undefined;
  const label = `LABEL ${entries.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ')}`;
  const out: string[] = [];
  let continued = false;
  let froms = 0;
  for (const line of text.split('\n')) {
    const blankOrComment = /^\s*(#|$)/.test(line);
    if (!continued && /^\s*FROM\s/i.test(line) && froms++ > 0) out.push(label);
    out.push(line);
    // Comments and blank lines inside a continued instruction do not end it.
    if (!(continued && blankOrComment)) continued = /\\\s*$/.test(line);
  }
  return out.join('\n');
}

/**
 * The ids of the images a build made or reused, from its output: Buildah prints `--> ID` after each step
 * (`--> Using cache FULLID` for a cached one), the image of a stage's last step being the stage's image.
 */
export function builtImageIds(lines: string[]): string[] {
  const ids: string[] = [];
  for (const line of lines) {
    // A step's own output may leave terminal colour codes just before the arrow (Maven does).
    const plain = line.replace(/\u001b\[[0-9;]*m/g, '').trim();
    const m = /^--> (?:Using cache )?([0-9a-f]{10,64})$/.exec(plain);
    if (m) ids.push(m[1]!);
  }
  return ids;
}

/** The candidates none of `used` names (a short id names the full ids it starts). Pure. */
export function staleImages(candidates: string[], used: string[]): string[] {
  return candidates.filter((id) => !used.some((u) => id.startsWith(u) || u.startsWith(id)));
}

/**
 * Removes the App's dangling build-stage images that its last build did not make or reuse: each push that
 * changed a stage leaves the previous one behind (~600 MB of layers for Go's). The stage the last build made
 * stays, with the layers it shares with the next build's (the dependency cache), and so does every image
 * another App or instance, or anything else on the box, holds: only images labelled as this App's are listed.
 * Without ids (output not understood) nothing is removed. Resolves to the ids removed; never throws.
 */
export async function pruneBuildStages(
  podman: Pick<PodmanDriver, 'listDanglingImages' | 'removeImage'>,
  labels: Record<string, string>,
  used: string[],
): Promise<string[]> {
  if (used.length === 0) return [];
  const stale = staleImages(await podman.listDanglingImages(labels).catch(() => []), used);
  const removed: string[] = [];
  for (const id of stale) {
    // One in use (a build of the App under way from another process) stays for the next prune.
    if (
      await podman.removeImage(id).then(
        () => true,
        () => false,
      )
    )
      removed.push(id);
  }
  return removed;
}
