#!/usr/bin/env bash
# Prepares the box for rootless HIY (run as root; idempotent): the hiy user with sub-ids, slirp4netns, an overlay store,
# /dev/net/tun; reports cgroup delegation and the port floor; prints every change made and every choice left.
# Usage: scripts/rootless.sh   (HIY_USER names the user, default hiy; see docs/rootless.md for every setting)
set -euo pipefail

say() { echo "rootless: $*"; }
user="${HIY_USER:-hiy}"
subid_count="${HIY_SUBID_COUNT:-65536}"
# Opt-in: the lowest port unprivileged users may bind (box-wide). Empty: leave the sysctl alone and report it.
port_floor="${HIY_UNPRIVILEGED_PORT_START:-}"
changes=()
choices=()
changed() { changes+=("$1"); say "CHANGED: $1"; }

if [[ "$(id -u)" != 0 ]]; then
  say "must run as root" >&2
  exit 1
fi
if ! [[ "$user" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
  say "HIY_USER=$user is not a valid user name" >&2
  exit 1
fi

# 1. What rootless Podman needs besides Podman: newuidmap/newgidmap (uidmap), slirp4netns (the user's network);
# fuse-overlayfs only where the kernel has no overlay for unprivileged users (before 5.13).
kernel="$(uname -r)"
native_overlay=no
if [[ "$(printf '%s\n' "5.13" "${kernel%%-*}" | sort -V | head -n1)" == 5.13 ]]; then native_overlay=yes; fi
packages=(uidmap slirp4netns)
[[ "$native_overlay" == yes ]] || packages+=(fuse-overlayfs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  changed "installed ${missing[*]}"
else
  say "packages present (${packages[*]})"
fi

# 2. The user: a system account (no password that logs in) with its own group. An existing account (made by
# `hiy ssh-account`, say) is kept as it is: its home and shell are not changed.
if ! getent passwd "$user" >/dev/null; then
  useradd --system --user-group --shell /bin/sh --home-dir "/home/$user" --create-home --password '*' "$user"
  changed "created the system user $user (home /home/$user)"
else
  say "user $user exists"
fi
uid="$(id -u "$user")"
gid="$(id -g "$user")"
home="$(getent passwd "$user" | cut -d: -f6)"

# 3. Sub-ids: `useradd --system` allocates none, and rootless Podman needs a range for the users inside containers.
# A new range starts after every range already given out (in either file), so no two users share ids.
has_range() { awk -F: -v u="$user" -v id="$uid" -v n="$subid_count" '($1==u||$1==id) && $3>=n {f=1} END {exit !f}' "$1" 2>/dev/null; }
if has_range /etc/subuid && has_range /etc/subgid; then
  say "sub-ids of $user present ($(grep -E "^($user|$uid):" /etc/subuid | head -n1 | cut -d: -f2-))"
else
  start="$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'BEGIN {m=100000} NF==3 && $2+$3>m {m=$2+$3} END {print m}')"
  end=$((start + subid_count - 1))
  touch /etc/subuid /etc/subgid
  usermod --add-subuids "$start-$end" --add-subgids "$start-$end" "$user"
  changed "gave $user the sub-uids and sub-gids $start-$end ($subid_count) in /etc/subuid and /etc/subgid"
fi

# Runs a command as the user, in its own home and environment (runuser alone keeps root's HOME).
as_user() {
  (cd / && runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" USER="$user" LOGNAME="$user" "$@")
}

# 4. /dev/net/tun: slirp4netns opens it as the user. Debian's own rule makes it 0666 (a tun device is only useful
# with CAP_NET_ADMIN in some namespace); some VMs leave it 0600.
if [[ ! -c /dev/net/tun ]]; then
  mkdir -p /dev/net
  mknod -m 0666 /dev/net/tun c 10 200
  changed "created /dev/net/tun (mode 0666)"
elif [[ "$(stat -c %a /dev/net/tun)" != 666 ]]; then
  old="$(stat -c %a /dev/net/tun)"
  chmod 0666 /dev/net/tun
  changed "made /dev/net/tun usable by $user (mode $old -> 0666, Debian's default)"
else
  say "/dev/net/tun is usable (mode 0666)"
fi

# 5. The user's storage: overlay (without it rootless Podman uses vfs, a full copy of the image per container).
# A vfs store that holds images, containers or volumes is never reset: that is the operator's choice.
config_dir="$home/.config/containers"
data_dir="$home/.local/share/containers"
storage_conf="$config_dir/storage.conf"
wanted_storage="# Written by HIY setup (scripts/rootless.sh): overlay storage for rootless Podman.
[storage]
driver = \"overlay\""
[[ "$native_overlay" == yes ]] || wanted_storage+="
[storage.options.overlay]
mount_program = \"/usr/bin/fuse-overlayfs\""
for d in "$home/.config" "$config_dir" "$home/.local" "$home/.local/share" "$data_dir"; do
  if [[ ! -d "$d" ]]; then
    install -d -o "$uid" -g "$gid" -m 0700 "$d"
    changed "created $d (owned by $user)"
  fi
done
current_driver=""
[[ -d "$data_dir/storage" ]] && current_driver="$(as_user podman info --format '{{.Store.GraphDriverName}}' 2>/dev/null || true)"
if [[ -f "$storage_conf" ]] && [[ "$(cat "$storage_conf")" == "$wanted_storage" ]]; then
  say "$storage_conf selects overlay"
elif [[ "$current_driver" == vfs ]] && [[ -n "$(as_user podman images -qa 2>/dev/null)$(as_user podman ps -aq 2>/dev/null)$(as_user podman volume ls -q 2>/dev/null)" ]]; then
  say "NOT CHANGED: $user's Podman store is vfs and holds images, containers or volumes; it is left as it is" >&2
  choices+=("$user's store is vfs (a full image copy per container): move its volumes out (hiy snapshot create), then \`runuser -u $user -- podman system reset\` and run this again")
else
  if [[ "$current_driver" == vfs ]]; then
    as_user podman system reset --force >/dev/null 2>&1
    changed "reset $user's empty vfs store (no images, containers or volumes)"
  fi
  [[ -f "$storage_conf" ]] && cp -p "$storage_conf" "$storage_conf.bak" && changed "backed up $storage_conf to $storage_conf.bak"
  printf '%s\n' "$wanted_storage" >"$storage_conf.tmp"
  chown "$uid:$gid" "$storage_conf.tmp"
  mv "$storage_conf.tmp" "$storage_conf"
  changed "wrote $storage_conf (overlay$([[ "$native_overlay" == yes ]] && echo ", the kernel's own" || echo " through fuse-overlayfs"))"
fi

# 6. Does it work: the user's Podman runs the base image (copied from root's store when the user lacks it).
busybox=localhost/hiy/busybox:latest
if ! as_user podman image exists "$busybox"; then
  if podman image exists "$busybox"; then
    podman save --quiet "$busybox" | as_user podman load --quiet >/dev/null 2>&1
    changed "copied $busybox from root's Podman store to $user's"
  else
    choices+=("$busybox is not in root's store yet (scripts/setup.sh builds it); the rootless run check was skipped")
  fi
fi
if as_user podman image exists "$busybox"; then
  if out="$(as_user podman run --rm --pull=never "$busybox" true 2>&1)"; then
    say "$user's Podman runs containers (storage: $(as_user podman info --format '{{.Store.GraphDriverName}}'))"
  else
    say "$user's Podman cannot run $busybox:" >&2
    grep -v 'level=warning' <<<"$out" | sed 's/^/  /' >&2 || true
    exit 1
  fi
fi

# 7. Reported, not changed: resource limits need a cgroup v2 that delegates controllers to the user.
if [[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]]; then
  choices+=("cgroup v1: resource limits (memory, cpus, pids) cannot be enforced for $user's containers; hiy doctor reports it (boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2)")
else
  delegated="$(cat "/sys/fs/cgroup/user.slice/user-$uid.slice/user@$uid.service/cgroup.controllers" 2>/dev/null || true)"
  missing_ctl=()
  for c in memory pids cpu; do [[ " $delegated " == *" $c "* ]] || missing_ctl+=("$c"); done
  if ((${#missing_ctl[@]} > 0)); then
    choices+=("cgroup v2 without delegation of ${missing_ctl[*]} to $user: those limits are not enforced (systemd: Delegate=memory pids cpu in user@.service.d)")
  else
    say "cgroup v2 delegates memory, pids and cpu to $user"
  fi
fi

# 8. The port floor: unprivileged users bind only ports >= net.ipv4.ip_unprivileged_port_start. Lowering it is
# box-wide (every user may then bind those ports), so it is opt-in: HIY_UNPRIVILEGED_PORT_START=80.
floor="$(sysctl -n net.ipv4.ip_unprivileged_port_start)"
if [[ -n "$port_floor" && "$port_floor" != "$floor" ]]; then
  printf '# Written by HIY setup: rootless HIY publishes host ports from %s up (every user of the box may bind them).\nnet.ipv4.ip_unprivileged_port_start = %s\n' "$port_floor" "$port_floor" >/etc/sysctl.d/60-hiy-unprivileged-ports.conf
  sysctl -q -w "net.ipv4.ip_unprivileged_port_start=$port_floor"
  changed "lowered net.ipv4.ip_unprivileged_port_start from $floor to $port_floor (/etc/sysctl.d/60-hiy-unprivileged-ports.conf)"
  floor="$port_floor"
elif [[ "$floor" -gt 80 ]]; then
  choices+=("net.ipv4.ip_unprivileged_port_start is $floor: rootless HIY cannot publish host ports below it (hiy validate says so); HIY_UNPRIVILEGED_PORT_START=25 lowers it, but for every user of the box")
fi
say "port floor: net.ipv4.ip_unprivileged_port_start = $floor"

# 9. Reboots: containers come back through the user's podman-restart.service, which needs lingering (systemd).
if [[ "$(cat /proc/1/comm 2>/dev/null)" == systemd ]]; then
  if [[ -f "/var/lib/systemd/linger/$user" ]]; then
    say "lingering is on for $user"
  else
    loginctl enable-linger "$user"
    changed "enabled lingering for $user (its services start at boot)"
  fi
else
  choices+=("no systemd as PID 1: nothing restarts $user's containers after a reboot (see docs/rootless.md)")
fi

echo
if ((${#changes[@]} > 0)); then
  say "changes made:"
  printf '  - %s\n' "${changes[@]}"
else
  say "no changes: the box was already set up for rootless HIY as $user"
fi
if ((${#choices[@]} > 0)); then
  say "left to you:"
  printf '  - %s\n' "${choices[@]}"
fi
say "done (user $user, uid $uid)"
