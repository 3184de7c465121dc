#!/bin/sh
# Exported by hiy export kube from state repo commit c0ffee0000000000000000000000000000000000.
# Kubernetes 1.27 manifests, validated against its OpenAPI schemas; see docs/kubernetes.md.
#
# Plays this export on a Podman box: the secrets, the volumes (loaded with their data when the export has it),
# then the workloads with `podman kube play`. Ingresses, Services, NetworkPolicies and CronJobs are for
# Kubernetes (kubectl apply -f DIR). `sh play.sh down` removes the pods and keeps the volumes and secrets.
set -eu
cd "$(dirname "$0")"

if [ "${1:-}" = down ]; then
  podman kube play --down podman/workloads.yaml
  exit 0
fi

missing=0
secret() { # NAME: kept when it exists, else created from podman/secrets/NAME.json (--with-secret-values)
  if podman secret inspect "$1" >/dev/null 2>&1; then return 0; fi
  if [ -f "podman/secrets/$1.json" ]; then
    podman secret create "$1" "podman/secrets/$1.json" >/dev/null
    echo "play: secret $1 created"
    return 0
  fi
  echo "play: the secret $1 is missing; create it (its value under the key \"value\", base64):" >&2
  echo "  printf '{\"value\":\"%s\"}' \"\$(printf %s VALUE | base64 -w0)\" | podman secret create $1 -" >&2
  missing=1
}
secret 'hiy.generated.db.postgres-password-03c4a823'
secret 'hiy.link.web.database-url-954fb45f'
if [ "$missing" != 0 ]; then exit 1; fi

volume() { # CLAIM [ARCHIVE SHA256]: an existing volume is kept as it is, never overwritten
  if podman volume exists "$1"; then
    echo "play: volume $1 exists, kept as it is"
    return 0
  fi
  if [ $# -eq 3 ]; then
    if ! echo "$3  $2" | sha256sum -c --status -; then
      echo "play: $2 does not match its checksum; volume $1 not created" >&2
      exit 1
    fi
  fi
  podman volume create --label app.kubernetes.io/managed-by=hiy-export "$1" >/dev/null
  if [ $# -eq 3 ]; then
    podman volume import "$1" "$2"
    echo "play: volume $1 created and loaded from $2"
  else
    echo "play: volume $1 created (empty)"
  fi
}
volume 'db-data'

podman kube play --replace podman/workloads.yaml
