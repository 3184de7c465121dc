#!/usr/bin/env bash
# CI: runs a chosen subset of the integration suite as the unprivileged user HIY runs as (docs/rootless.md).
#
# Run as root after scripts/rootless.sh (setup runs it): `bash scripts/test-rootless.sh [FILE…]`. It gives the
# user the images the files need (copied from root's store: the user's Podman has its own), makes sure the user
# can read the repository (else runs from a copy), and runs the files with runuser in a clean environment.
# Settings: HIY_ROOTLESS=0 (as for setup.sh: HIY runs as root by choice) runs nothing; HIY_USER (default hiy); HIY_ROOTLESS_TESTS (space-separated files, default below);
# HIY_ROOTLESS_IMAGES (space-separated images of root's store the user needs besides busybox).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
user=${HIY_USER:-hiy}

default_tests=(
  test/integration/rootless-data.test.ts
  test/integration/snapshot.test.ts
  test/integration/data-safety.test.ts
  test/integration/reconcile.test.ts
  test/integration/port-data.test.ts
)
if [ $# -gt 0 ]; then
  tests=("$@")
elif [ -n "${HIY_ROOTLESS_TESTS:-}" ]; then
  read -r -a tests <<<"$HIY_ROOTLESS_TESTS"
else
  tests=("${default_tests[@]}")
fi

if [ "${HIY_ROOTLESS:-1}" = 0 ]; then
  echo "test-rootless: not run: HIY_ROOTLESS=0 (the box was set up for HIY as root, by choice)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "test-rootless: run as root (it runs the tests as $user with runuser)" >&2
  exit 2
fi
if ! id -u "$user" >/dev/null 2>&1; then
  echo "test-rootless: no user $user: run scripts/rootless.sh (scripts/setup.sh does) first" >&2
  exit 2
fi
home=$(getent passwd "$user" | cut -d: -f6)
uid=$(id -u "$user")

as_user() {
  runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" USER="$user" LANG=C.UTF-8 "$@"
}

# The images the files run, from root's store into the user's (one save/load for all that are missing): the
# files above build what else they need from busybox; HIY_ROOTLESS_IMAGES adds others (a port's image).
read -r -a images <<<"localhost/hiy/busybox:latest ${HIY_ROOTLESS_IMAGES:-}"
missing=()
for image in "${images[@]}"; do
  podman image exists "$image" || continue
  as_user podman image exists "$image" || missing+=("$image")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-rootless: copying ${#missing[@]} image(s) to $user's store: ${missing[*]}"
  podman save --quiet --multi-image-archive "${missing[@]}" | as_user podman load --quiet >/dev/null
fi

# The user reads the repository in place when it can (node_modules included), else a copy of it.
run_dir=$repo
cleanup=()
if ! as_user test -r "$repo/package.json" -a -x "$repo/node_modules"; then
  run_dir=$(mktemp -d /tmp/hiy-rootless-repo.XXXXXX)
  cleanup+=("$run_dir")
  echo "test-rootless: $user cannot read $repo; running from a copy in $run_dir"
  cp -a "$repo/." "$run_dir/"
  chown -R "$user:" "$run_dir"
fi
trap 'rm -rf "${cleanup[@]}"' EXIT

echo "test-rootless: as $user (uid $uid): ${tests[*]}"
start=$(date +%s)
status=0
(cd "$run_dir" && as_user node --import tsx --test --test-concurrency=1 --test-reporter=spec "${tests[@]}") || status=$?
echo "test-rootless: ${#tests[@]} file(s) as $user in $(($(date +%s) - start)) s, exit $status"
exit "$status"
