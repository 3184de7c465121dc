#!/usr/bin/env bash
# Builds a stack base image offline from the host's own runtime: localhost/hiy/node:20 (the host's node and npm)
# or localhost/hiy/python:3 (the host's python3 and its standard library), on top of localhost/hiy/busybox:latest.
# The binaries and every shared library they load (ldd) are copied; no registry is needed.
# Usage: images/runtime/build.sh node|python [TAG]   (idempotent: does nothing when the image exists; FORCE=1 rebuilds)
set -euo pipefail

kind="${1:?usage: build.sh node|python [TAG]}"
case "$kind" in
  node) tag="${2:-localhost/hiy/node:20}" ;;
  python) tag="${2:-localhost/hiy/python:3}" ;;
  *) echo "runtime build: unknown stack $kind (node or python)" >&2; exit 2 ;;
esac
base=localhost/hiy/busybox:latest
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ "${FORCE:-0}" != 1 ]] && podman image exists "$tag"; then echo "$tag present"; exit 0; fi
# Per user: each user has its own Podman store, and a lock file of another user could not be opened (issue 22).
exec 9>"${TMPDIR:-/tmp}/hiy-runtime-$kind-build.$(id -u).lock"
flock 9
if [[ "${FORCE:-0}" != 1 ]] && podman image exists "$tag"; then echo "$tag present"; exit 0; fi
podman image exists "$base" || "$here/../busybox/build.sh" "$base"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"

# Copies files, dereferenced, to the same paths under $root (the path the loader asks for is what must exist).
copy() { for f in "$@"; do mkdir -p "$root$(dirname "$f")"; cp -L "$f" "$root$f"; done; }
# Copies every shared library a binary or module loads, and the dynamic loader.
libs() {
  ldd "$@" 2>/dev/null | awk '/=> \// {print $3} /^[ \t]*\/lib/ {print $1}' | sort -u | while read -r lib; do
    copy "$lib"
  done
}

if [[ "$kind" == node ]]; then
  node_bin="$(readlink -f "$(command -v node)")"
  [[ -x "$node_bin" ]] || { echo "runtime build: node not found" >&2; exit 1; }
  mkdir -p "$root/usr/bin"
  cp "$node_bin" "$root/usr/bin/node"
  libs "$node_bin"
  npm_dir=/usr/lib/node_modules/npm
  if [[ -d "$npm_dir" ]]; then
    mkdir -p "$root/usr/lib/node_modules"
    cp -a "$npm_dir" "$root/usr/lib/node_modules/"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  fi
else
  py_bin="$(readlink -f /usr/bin/python3)"
  [[ -x "$py_bin" ]] || { echo "runtime build: /usr/bin/python3 not found (apt-get install python3)" >&2; exit 1; }
  ver="$(basename "$py_bin")"   # python3.11
  mkdir -p "$root/usr/bin"
  cp "$py_bin" "$root/usr/bin/$ver"
  ln -s "$ver" "$root/usr/bin/python3"
  ln -s "$ver" "$root/usr/bin/python"
  libs "$py_bin"
  stdlib="/usr/lib/$ver"
  mkdir -p "$root/usr/lib"
  tar -C /usr/lib --exclude='__pycache__' --exclude="$ver/test" --exclude="$ver/idlelib" \
    --exclude="$ver/tkinter" --exclude="$ver/ensurepip" -cf - "$ver" | tar -C "$root/usr/lib" -xf -
  libs "$stdlib"/lib-dynload/*.so
fi
mkdir -p "$root/tmp" "$root/usr/bin" && chmod 1777 "$root/tmp"
# Scripts start with #!/usr/bin/env; busybox has its applets in /bin only.
[[ -e "$root/usr/bin/env" ]] || ln -s /bin/env "$root/usr/bin/env"

cat >"$work/Containerfile" <<CF
FROM $base
COPY root/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
CF
podman build --quiet --pull=never -t "$tag" -f "$work/Containerfile" "$work" >/dev/null
echo "built $tag"
