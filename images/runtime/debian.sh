#!/usr/bin/env bash
# Builds the Debian-based stack images (Go, Ruby, Java, PHP) offline from this box's apt sources with mmdebstrap,
# as the port images are made: one image per stack and role, rebuilt only when its inputs change (package list,
# apt sources, recipe: their hash is a label of the image). Prints the image's size and how long it took.
# Usage: images/runtime/debian.sh go-build|ruby|java-build|java|php|php-build [TAG]   (FORCE=1 rebuilds)
set -euo pipefail

kind="${1:?usage: debian.sh go-build|ruby|java-build|java|php|php-build [TAG]}"
# The tags are the defaults of HIY_BUILD_IMAGE_* (src/push/buildSettings.ts); versions are bookworm's.
case "$kind" in
  go-build) tag="${2:-localhost/hiy/go-build:1.19}" packages=(golang-go ca-certificates) ;;
  ruby) tag="${2:-localhost/hiy/ruby:3.1}" packages=(ruby bundler ruby-rack puma ruby-webrick ca-certificates) ;;
  # With Maven, the plugins of jar packaging and shade (Debian's versions, in /usr/share/maven-repo): a local
  # repository of a project that pins them can be made from there with no network (docs/stacks.md).
  java-build) tag="${2:-localhost/hiy/java-build:17}" packages=(default-jdk-headless maven ca-certificates-java
    libmaven-resources-plugin-java libmaven-compiler-plugin-java libsurefire-java libmaven-jar-plugin-java
    libmaven-shade-plugin-java) ;;
  java) tag="${2:-localhost/hiy/java:17}" packages=(default-jre-headless ca-certificates-java) ;;
  php) tag="${2:-localhost/hiy/php:8.2}" packages=(php-cli ca-certificates) ;;
  php-build) tag="${2:-localhost/hiy/php-build:8.2}" packages=(php-cli composer unzip ca-certificates) ;;
  *) echo "stack image build: unknown image $kind (go-build, ruby, java-build, java, php or php-build)" >&2; exit 2 ;;
esac
sources="${HIY_PORTS_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
apt_cache="${HIY_PORTS_APT_CACHE:-/var/cache/hiy-ports/apt}"
label=io.hiy.stack.inputs
# Bump when the way these images are made changes, so every one is rebuilt.
recipe=stack-mmdebstrap-minbase-v1
dpkg_opts=(path-exclude=/usr/share/man/* path-exclude=/usr/share/doc/* path-include=/usr/share/doc/*/copyright
  path-exclude=/usr/share/locale/* path-exclude=/usr/share/info/*)

hash="$( { echo "$recipe"; printf '%s\n' "${packages[@]}" | sort; printf '%s\n' "${dpkg_opts[@]}"; cat "$sources"; } | sha256sum | cut -c1-64)"
current() { podman image inspect --format "{{index .Labels \"$label\"}}" "$tag" 2>/dev/null || true; }
if [[ "${FORCE:-0}" != 1 && "$(current)" == "$hash" ]]; then echo "$tag present (inputs unchanged)"; exit 0; fi
# Per user: each user has its own Podman store, and a lock file of another user could not be opened (issue 22).
exec 9>"${TMPDIR:-/tmp}/hiy-stack-$kind-build.$(id -u).lock"
flock 9
if [[ "${FORCE:-0}" != 1 && "$(current)" == "$hash" ]]; then echo "$tag present (inputs unchanged)"; exit 0; fi
command -v mmdebstrap >/dev/null || { echo "stack image build: mmdebstrap not found (apt-get install mmdebstrap)" >&2; exit 1; }

started=$SECONDS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$apt_cache" "$work/debs"
args=(--quiet --variant=minbase --mode=root --format=tar "--include=$(IFS=,; echo "${packages[*]}")"
  --skip=essential/unlink
  '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/'
  # The JRE's postinst registers its man pages with update-alternatives, which fails when dpkg left out
  # /usr/share/man (the filters below): the directories stay, empty.
  '--setup-hook=mkdir -p "$1"/usr/share/man/man1'
  "--setup-hook=sync-in $apt_cache /var/cache/apt/archives/"
  "--customize-hook=sync-out /var/cache/apt/archives $work/debs"
  # No apt lists or caches in the image: it is built once, never updated in place.
  '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb'
  --dpkgopt=force-unsafe-io)
for o in "${dpkg_opts[@]}"; do args+=("--dpkgopt=$o"); done
# The root file system streams from mmdebstrap straight into podman import: no tar on disk. The import gets no
# tag until mmdebstrap succeeded (podman imports whatever came through the pipe, even from a failed run).
# setsid: mmdebstrap signals its whole process group when it fails.
failed=0
id="$(
  set -o pipefail
  setsid mmdebstrap "${args[@]}" bookworm - "$sources" </dev/null |
    podman import --quiet --change "LABEL $label=$hash" --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
      --change 'CMD ["/bin/bash"]' --message "hiy stack image $kind: debian bookworm minbase + ${packages[*]}" -
)" || failed=1
if [[ "$failed" == 1 ]]; then
  [[ -n "$id" ]] && podman rmi --force "$id" >/dev/null 2>&1
  echo "stack image build: $kind failed (see mmdebstrap's errors above)" >&2
  exit 1
fi
podman tag "$id" "$tag"
# Downloaded packages are kept for the next build (the ports' builds share the cache).
cp -n "$work"/debs/*.deb "$apt_cache"/ 2>/dev/null || true
size="$(podman image inspect --format '{{.Size}}' "$tag")"
echo "built $tag: $((size / 1000000)) MB in $((SECONDS - started)) s"
