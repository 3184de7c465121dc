// The scripts written next to the manifests: play.sh (Podman: secrets, volumes with their data, workloads) and,
// with data, load-data.sh (Kubernetes: each archive unpacked into its claim, checked by its checksum). Pure.
import type { DataArchive } from './types.js';

/** Single-quoted for sh: safe for any text. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface PlayScriptInput {
  header: string;
  /** Kubernetes names of the Secrets the workloads read. */
  secrets: string[];
  /** Claims in order, each with its archive when the export has data. */
  claims: { name: string; archive?: DataArchive }[];
  /** Whether workloads.yaml has anything to play. */
  hasWorkloads: boolean;
}

export function playScript(input: PlayScriptInput): string {
  const lines = [
    '#!/bin/sh',
    ...input.header.split('\n').map((l) => `# ${l}`.trimEnd()),
    '#',
    '# Plays this export on a Podman box: the secrets, the volumes (loaded with their data when the export has it),',
    '# then the workloads with `podman kube play`. Ingresses, Services, NetworkPolicies and CronJobs are for',
    '# Kubernetes (kubectl apply -f DIR). `sh play.sh down` removes the pods and keeps the volumes and secrets.',
    'set -eu',
    'cd "$(dirname "$0")"',
    '',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    'if [ "${1:-}" = down ]; then',
    input.hasWorkloads ? '  podman kube play --down podman/workloads.yaml' : '  :',
    '  exit 0',
    'fi',
    '',
    'missing=0',
    'secret() { # NAME: kept when it exists, else created from podman/secrets/NAME.json (--with-secret-values)',
    '  if podman secret inspect "$1" >/dev/null 2>&1; then return 0; fi',
    '  if [ -f "podman/secrets/$1.json" ]; then',
    '    podman secret create "$1" "podman/secrets/$1.json" >/dev/null',
    '    echo "play: secret $1 created"',
    '    return 0',
    '  fi',
    '  echo "play: the secret $1 is missing; create it (its value under the key \\"value\\", base64):" >&2',
    `  echo "  printf '{\\"value\\":\\"%s\\"}' \\"\\$(printf %s VALUE | base64 -w0)\\" | podman secret create $1 -" >&2`,
    '  missing=1',
    '}',
    ...input.secrets.map((s) => `secret ${shQuote(s)}`),
    'if [ "$missing" != 0 ]; then exit 1; fi',
    '',
    'volume() { # CLAIM [ARCHIVE SHA256]: an existing volume is kept as it is, never overwritten',
    '  if podman volume exists "$1"; then',
    '    echo "play: volume $1 exists, kept as it is"',
    '    return 0',
    '  fi',
    '  if [ $# -eq 3 ]; then',
    '    if ! echo "$3  $2" | sha256sum -c --status -; then',
    '      echo "play: $2 does not match its checksum; volume $1 not created" >&2',
    '      exit 1',
    '    fi',
    '  fi',
    '  podman volume create --label app.kubernetes.io/managed-by=hiy-export "$1" >/dev/null',
    '  if [ $# -eq 3 ]; then',
    '    podman volume import "$1" "$2"',
    '    echo "play: volume $1 created and loaded from $2"',
    '  else',
    '    echo "play: volume $1 created (empty)"',
    '  fi',
    '}',
    ...input.claims.map((c) =>
      c.archive
        ? `volume ${shQuote(c.name)} ${shQuote(c.archive.file)} ${c.archive.sha256}`
        : `volume ${shQuote(c.name)}`,
    ),
    '',
    input.hasWorkloads ? 'podman kube play --replace podman/workloads.yaml' : 'echo "play: no workloads"',
    '',
  ];
  return lines.join('\n');
}

/** A Pod that mounts a claim so load-data.sh can copy its archive in and unpack it. */
export function loaderPodName(claim: string): string {
  return `hiy-load-${claim}`.slice(0, 63).replace(/-+$/, '');
}

/**
 * load-data.sh: for each claim with data, a loader Pod (data/loader-CLAIM.yaml) mounts it; the archive is
 * copied in, its sha256 checked inside the pod, unpacked only into an empty claim, and the pod deleted.
 * Run it after applying volumes.yaml and before the workloads.
 */
export function loadDataScript(header: string, archives: readonly DataArchive[]): string {
  const lines = [
    '#!/bin/sh',
    ...header.split('\n').map((l) => `# ${l}`.trimEnd()),
    '#',
    '# Loads the volumes data into their PersistentVolumeClaims on Kubernetes (kubectl, current namespace).',
    '# Order: kubectl apply -f volumes.yaml; sh data/load-data.sh; kubectl apply -f . (docs/kubernetes.md).',
    'set -eu',
    'cd "$(dirname "$0")"',
    'load() { # CLAIM ARCHIVE SHA256 POD',
    '  kubectl apply -f "loader-$1.yaml"',
    '  kubectl wait --for=condition=Ready "pod/$4" --timeout=300s',
    '  kubectl cp "$2" "$4:/tmp/archive.tar"',
    `  kubectl exec "$4" -- sh -c 'echo "$0  /tmp/archive.tar" | sha256sum -c - && if [ -n "$(ls -A /data)" ]; then echo "claim not empty: left as it is" >&2; exit 1; fi && tar -xpf /tmp/archive.tar -C /data' "$3"`,
    '  kubectl delete pod "$4" --wait=true',
    '  echo "load-data: $1 loaded from $2"',
    '}',
    ...archives.map(
      (a) =>
        `load ${shQuote(a.claim)} ${shQuote(a.file.replace(/^data\//, ''))} ${a.sha256} ${shQuote(loaderPodName(a.claim))}`,
    ),
    '',
  ];
  return lines.join('\n');
}
