#!/bin/sh
# Exported by hiy export kube from state repo commit c0ffee0000000000000000000000000000000000.
# Kubernetes 1.27 manifests, validated against its OpenAPI schemas; see docs/kubernetes.md.
#
# Loads the volumes data into their PersistentVolumeClaims on Kubernetes (kubectl, current namespace).
# Order: kubectl apply -f volumes.yaml; sh data/load-data.sh; kubectl apply -f . (docs/kubernetes.md).
set -eu
cd "$(dirname "$0")"
load() { # CLAIM ARCHIVE SHA256 POD
  kubectl apply -f "loader-$1.yaml"
  kubectl wait --for=condition=Ready "pod/$4" --timeout=300s
  kubectl cp "$2" "$4:/tmp/archive.tar"
  kubectl exec "$4" -- sh -c 'echo "$0  /tmp/archive.tar" | sha256sum -c - && if [ -n "$(ls -A /data)" ]; then echo "claim not empty: left as it is" >&2; exit 1; fi && tar -xpf /tmp/archive.tar -C /data' "$3"
  kubectl delete pod "$4" --wait=true
  echo "load-data: $1 loaded from $2"
}
load 'mail-vmail' 'mail-vmail.tar' abababababababababababababababababababababababababababababababab 'hiy-load-mail-vmail'
