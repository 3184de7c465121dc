#!/usr/bin/env bash
# Prepares a fresh Debian 12 box for HIY (run as root; idempotent): packages, Podman runtime config, base images,
# and the rootless user hiy (scripts/rootless.sh; HIY_ROOTLESS=0 keeps HIY root-only).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
say() { echo "setup: $*"; }

if [[ "$(id -u)" != 0 ]]; then
  say "must run as root" >&2
  exit 1
fi

# 1. System packages: apt only runs when something is missing.
# chromium: the dashboard's browser tests drive Debian's build through playwright-core (nothing downloaded).
# mmdebstrap: the ports' Debian root file systems (ports/, scripts/portBase.ts) from this box's apt sources.
# iptables: the rule that closes each workload's own network to other networks (docs/design.md).
# restic: offsite backups (docs/backups.md).
# pebble: Let's Encrypt's test ACME server, for the ACME tests (docs/tls.md).
# rclone: its `rclone serve restic` is the restic REST server the REST backup test writes to (docs/backups.md).
# The shellcheck package: `npm run shellcheck` (part of npm test) checks every script and port hook.
# catatonit: the pause process of `podman kube play` (the export's play.sh, docs/kubernetes.md).
packages=(podman golang-github-containernetworking-plugin-dnsname iptables runc caddy busybox-static podman-compose openssh-server openssh-client git curl uidmap python3 sudo chromium mmdebstrap catatonit shellcheck pebble restic rclone)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} > 0)); then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "system packages present (${packages[*]})"
fi

# 2. Podman runtime. On hybrid or v1 cgroups crun refuses to create containers; runc works with explicit ulimits.
conf="${HIY_CONTAINERS_CONF:-/etc/containers/containers.conf}"
cgroup_fs="$(stat -fc %T /sys/fs/cgroup)"
if [[ "$cgroup_fs" != cgroup2fs ]]; then
  if [[ -d /sys/fs/cgroup/unified ]]; then kind="hybrid cgroups detected (cgroup v1 + unified)"; else kind="cgroup v1 detected"; fi
  wanted_conf="$(cat <<'CONF'
# Written by HIY setup: this host has cgroup v1 controllers (hybrid or legacy); crun refuses, runc with explicit ulimits works.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
CONF
)"
  has_settings() {
    [[ -f "$conf" ]] &&
      grep -Eq '^\s*runtime\s*=\s*"runc"' "$conf" &&
      grep -Eq '^\s*default_ulimits\s*=.*nofile=1024:1024' "$conf" &&
      grep -Eq '^\s*default_ulimits\s*=.*nproc=1024:1024' "$conf"
  }
  if has_settings; then
    say "$kind; $conf already uses runc with explicit ulimits"
  else
    say "$kind; configuring Podman to use runc with explicit ulimits (nofile=1024:1024, nproc=1024:1024) in $conf"
    mkdir -p "$(dirname "$conf")"
    if [[ -f "$conf" ]]; then
      say "backing up the existing $conf to $conf.bak"
      cp -p "$conf" "$conf.bak"
    fi
    printf '%s\n' "$wanted_conf" >"$conf.tmp"
    mv "$conf.tmp" "$conf"
  fi
else
  say "cgroup v2 detected; keeping Podman's default runtime"
fi

# 3. Base images, built locally (there is no registry).
busybox=localhost/hiy/busybox:latest
if podman image exists "$busybox"; then
  say "image $busybox present"
else
  say "building $busybox from busybox-static"
  "$repo/images/busybox/build.sh" "$busybox"
fi

say "checking that Podman can run a container"
if ! podman run --rm --pull=never "$busybox" true; then
  say "podman cannot run $busybox; see the error above" >&2
  exit 1
fi

web=localhost/example/web:1
if podman image exists "$web"; then
  say "image $web present"
else
  say "building $web from images/example-web"
  podman build --quiet --layers -t "$web" -f "$repo/images/example-web/Containerfile" "$repo/images/example-web" >/dev/null
fi

# Base images of the stacks HIY builds without a Containerfile (git push of a Node.js or Python app), made from
# this host's own node and python3; HIY_BUILD_IMAGE_NODE / HIY_BUILD_IMAGE_PYTHON may name others.
for stack in node python; do
  say "stack base image ($stack): $("$repo/images/runtime/build.sh" "$stack" | tail -n 1 || true)"
done
# The Go, Ruby, Java and PHP images (builder and runtime), made with mmdebstrap from this box's apt sources and
# rebuilt only when their inputs change (docs/stacks.md). HIY_SETUP_STACKS picks the stacks (default: all four;
# Java's JDK is the largest). A failure is said and setup goes on: only that stack's pushes need the image.
# The stacks build side by side (most of a cold build is downloading and unpacking packages): on a 2-core box
# that takes about half the time of one after the other. Each one's result line is printed when all are done.
read -r -a stacks <<<"${HIY_SETUP_STACKS:-go ruby java php}"
stack_logs="$(mktemp -d)"
for stack in "${stacks[@]}"; do
  case "$stack" in
    go) images=(go-build) ;;
    ruby) images=(ruby) ;;
    java) images=(java java-build) ;;
    php) images=(php php-build) ;;
    *) say "HIY_SETUP_STACKS: unknown stack $stack (go, ruby, java, php)" >&2; continue ;;
  esac
  (
    for image in "${images[@]}"; do
      echo "stack image ($image): $("$repo/images/runtime/debian.sh" "$image" 2>&1 | tail -n 1 || true)"
    done
  ) >"$stack_logs/$stack" 2>&1 &
done
wait
for stack in "${stacks[@]}"; do
  [[ -f "$stack_logs/$stack" ]] && while read -r line; do say "$line"; done <"$stack_logs/$stack"
done
rm -rf "$stack_logs"

# The port images (ports/NAME), made from this box's apt sources with mmdebstrap: built once, then only when a port's
# files or package list change (scripts/ports.ts compares a hash of its inputs with the image's label).
# HIY_SETUP_PORTS=0 skips them; they need the project's node_modules (`make ports` installs them first).
if [[ "${HIY_SETUP_PORTS:-1}" == 0 ]]; then
  say "port images skipped (HIY_SETUP_PORTS=0)"
elif [[ -x "$repo/node_modules/.bin/tsx" ]]; then
  say "port images (ports/)"
  (cd "$repo" && node_modules/.bin/tsx scripts/ports.ts build) 2>&1 | sed 's/^/setup:   /'
else
  say "port images not built yet: node_modules is missing (run \`make ports\` after \`make deps\`)"
fi

# The settings file every hiy command and the daemon read (README: Settings): a commented one when there is none,
# so there is one place to put them. Never overwritten (make demo rewrites only its own lines).
settings_dir="${HIY_DATA_DIR:-/var/lib/hiy}"
if [[ ! -e "$settings_dir/settings.env" ]]; then
  mkdir -p "$settings_dir"
  cat > "$settings_dir/settings.env" <<'SETTINGS'
# Settings of this HIY instance: every hiy command and `hiy daemon` read this file (a flag or an environment
# variable overrides a line). One HIY_NAME=value per line, as sh reads it; `hiy settings` shows the effective values
# and where each came from; restart the daemon after an edit. All settings: hiy --help, README "Settings".
# HIY_STATE=/srv/state
# HIY_TLS=acme
# HIY_DASHBOARD_HOST=hiy.example.com
SETTINGS
  say "settings file $settings_dir/settings.env (commented; hiy settings shows the effective values)"
fi

# 4. Rootless by default: the hiy user with sub-ids, an overlay store and what rootless Podman needs
# (scripts/rootless.sh prints every change it makes and every choice it leaves). HIY_ROOTLESS=0: root only, said aloud.
if [[ "${HIY_ROOTLESS:-1}" == 0 ]]; then
  say "rootless set-up skipped (HIY_ROOTLESS=0): HIY runs as root, and so does every container it starts"
else
  bash "$here/rootless.sh" 2>&1 | sed 's/^/setup:   /'
fi

say "done"
