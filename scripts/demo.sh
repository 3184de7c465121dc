#!/usr/bin/env bash
# The main job: set up this box, then apply state-example/ with HIY and print the URLs that now serve.
# Run as root on Debian 12: `make demo`. Safe to run again: it converges, and changes nothing the second time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

bash scripts/setup.sh
if [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "demo: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
[ -f dist/main.js ] || npm run build

export HIY_DATA_DIR="${HIY_DATA_DIR:-/var/lib/hiy}"
export HIY_CADDY_ADMIN="${HIY_CADDY_ADMIN:-http://127.0.0.1:2019}"
export HIY_TLS="${HIY_TLS:-off}"          # no Let's Encrypt without internet; `internal` or `acme` on a real server
export HIY_HTTP_ADDR="${HIY_HTTP_ADDR:-:80}"
demo="$HIY_DATA_DIR/demo"
mkdir -p "$demo"

# Caddy: use the one answering on the admin address, else start one in the background.
if ! curl -fsS -o /dev/null "$HIY_CADDY_ADMIN/config/"; then
  admin="${HIY_CADDY_ADMIN#http://}"
  printf '{"admin":{"listen":"%s"}}\n' "$admin" > "$demo/caddy-bootstrap.json"
  echo "demo: no Caddy answers at $HIY_CADDY_ADMIN; starting one in the background (log in $demo/caddy.log)"
  # Detached in its own session, holding none of this script's file descriptors (a pipe kept open would
  # keep `make demo | …` from ending).
  setsid -f bash -c 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; cd "$2"; exec caddy run --config "$1"' \
    _ "$demo/caddy-bootstrap.json" "$demo" > "$demo/caddy.log" 2>&1 < /dev/null
  for _ in $(seq 50); do curl -fsS -o /dev/null "$HIY_CADDY_ADMIN/config/" && break; sleep 0.2; done
fi

# Commits a directory's content into a git repository (created on first use); no commit when nothing changed.
sync_repo() {
  local from="$1" repo="$2"
  mkdir -p "$repo"
  [ -d "$repo/.git" ] || git -C "$repo" init -q -b main
  rsync -a --delete --exclude .git "$from/" "$repo/" 2>/dev/null || { find "$repo" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +; cp -a "$from/." "$repo/"; }
  git -C "$repo" add -A
  if ! git -C "$repo" diff --cached --quiet 2>/dev/null || ! git -C "$repo" rev-parse -q --verify HEAD >/dev/null; then
    git -C "$repo" -c user.name=hiy-demo -c user.email=demo@hiy.invalid commit -q -m "sync from $(basename "$from")"
  fi
}
sync_repo "$here/state-example" "$demo/state"
sync_repo "$here/examples/hello-app" "$demo/src/hello"
# The schema modelines in state-example point at ../crds; keep them resolvable next to the copy.
rm -rf "$demo/crds" && cp -a "$here/crds" "$demo/crds"

echo "demo: applying $demo/state (a copy of state-example/, committed) with HIY_TLS=$HIY_TLS"
node bin/hiy.js apply --state "$demo/state"
echo
node bin/hiy.js status --state "$demo/state"

port="${HIY_HTTP_ADDR##*:}"
echo
echo "URLs now served through Caddy (hosts under .localhost resolve to this machine):"
node bin/hiy.js status --state "$demo/state" --json \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const r of JSON.parse(s).resources)for(const u of r.routes)console.log(u)})' \
  | while read -r route; do
      host="${route%%/*}"; path="/${route#*/}"
      url="http://$host${port:+:$port}$path"
      [ "$port" = "80" ] && url="http://$host$path"
      code=$(curl -s -o /dev/null -w '%{http_code}' --resolve "$host:$port:127.0.0.1" "$url" || true)
      echo "  $url  → HTTP $code"
    done
