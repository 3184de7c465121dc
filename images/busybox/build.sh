#!/usr/bin/env bash
# Builds localhost/hiy/busybox:latest from Debian's busybox-static: one static binary plus one symlink per applet.
# Usage: images/busybox/build.sh [TAG]   (idempotent: does nothing when the image exists; FORCE=1 rebuilds)
set -euo pipefail

tag="${1:-localhost/hiy/busybox:latest}"
busybox_bin="${BUSYBOX_BIN:-/bin/busybox}"

if [[ "${FORCE:-0}" != 1 ]] && podman image exists "$tag"; then
  exit 0
fi
# Several test files (and setup.sh) may ask at once: one builds, the others wait and then find the image.
# Per user: each user has its own Podman store, and a lock file of another user could not be opened (issue 22).
exec 9>"${TMPDIR:-/tmp}/hiy-busybox-build.$(id -u).lock"
flock 9
if [[ "${FORCE:-0}" != 1 ]] && podman image exists "$tag"; then
  exit 0
fi
if [[ ! -x "$busybox_bin" ]]; then
  echo "busybox build: $busybox_bin not found (apt-get install busybox-static)" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/root"
chmod 1777 "$root/tmp"
cp "$busybox_bin" "$root/bin/busybox"
# A "busybox" -> busybox self-link would replace the binary itself, so it is skipped.
while read -r applet; do
  [[ "$applet" == busybox || -z "$applet" ]] && continue
  ln -sf busybox "$root/bin/$applet"
done < <("$root/bin/busybox" --list)
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

tar -C "$root" -c . | podman import --quiet \
  --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$tag" >/dev/null
