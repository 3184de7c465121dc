// Volumes and secrets as the runner lists them, and the files of a volume walked (under `podman unshare` rootless).
import { hasLabels, secretInspectArgv, secretLsArgv, secretRmArgv, volumeLsArgv } from './argv.js';
import type { PodmanCalls } from './calls.js';
import { parseSecretInspect, parseVolumeLs } from './output.js';
import type { SecretInfo, VolumeFileCount, VolumeInfo } from './types.js';
import {
  countDirectly,
  emptyDirectly,
  parseFindCount,
  unshareCountArgv,
  unshareEmptyArgv,
} from './volumeFiles.js';

export async function listVolumes(
  podman: PodmanCalls,
  labels: Record<string, string>,
): Promise<VolumeInfo[]> {
  const argv = volumeLsArgv(labels);
  const { stdout } = await podman.listing(argv);
  // Podman 4.3.1 ORs several label filters on `volume ls`; the AND is enforced here.
  return podman.parse(argv, () => parseVolumeLs(stdout)).filter((v) => hasLabels(v.labels, labels));
}

export async function countVolumeFiles(
  podman: PodmanCalls,
  mountpoint: string,
  timeoutMs: number,
): Promise<VolumeFileCount> {
  if (!(await podman.isRootless())) return countDirectly(mountpoint);
  const argv = unshareCountArgv(mountpoint);
  const { stdout } = await podman.call(argv, { timeoutMs });
  return podman.parse(argv, () => parseFindCount(stdout));
}

export async function emptyVolumeFiles(
  podman: PodmanCalls,
  mountpoint: string,
  timeoutMs: number,
): Promise<void> {
  if (!(await podman.isRootless())) return emptyDirectly(mountpoint);
  await podman.call(unshareEmptyArgv(mountpoint), { timeoutMs });
}

export async function listSecrets(
  podman: PodmanCalls,
  labels: Record<string, string>,
): Promise<SecretInfo[]> {
  const { stdout } = await podman.call(secretLsArgv());
  const ids = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (ids.length === 0) return [];
  const argv = secretInspectArgv(ids);
  // A secret removed between the two calls makes inspect exit non-zero but still print the others.
  const r = await podman.call(argv, { okExitCodes: [125] });
  return podman.parse(argv, () => parseSecretInspect(r.stdout)).filter((s) => hasLabels(s.labels, labels));
}

export async function removeSecret(podman: PodmanCalls, name: string): Promise<void> {
  const r = await podman.call(secretRmArgv(name), { okExitCodes: [125] });
  if (r.exitCode !== 0 && !/no such secret/.test(r.stderr)) throw podman.failure(secretRmArgv(name), r);
}
