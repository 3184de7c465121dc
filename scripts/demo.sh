#!/usr/bin/env bash
# The main job: set up this box, start `hiy daemon` on state-example/ in the background and print the URLs
# that now serve. Run as root on Debian 12: `make demo`. Safe to run again: it restarts the daemon, which
# converges and changes nothing the second time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

bash scripts/setup.sh
if [ ! -x node_modules/.bin/esbuild ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "demo: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
# Always rebuild: the daemon runs dist/, which must match the sources of this checkout.
npm run build

export HIY_DATA_DIR="${HIY_DATA_DIR:-/var/lib/hiy}"
export HIY_CADDY_ADMIN="${HIY_CADDY_ADMIN:-http://127.0.0.1:2019}"
export HIY_TLS="${HIY_TLS:-off}"          # no Let's Encrypt without internet; `internal` or `acme` on a real server
export HIY_HTTP_ADDR="${HIY_HTTP_ADDR:-:80}"
export HIY_DASHBOARD_HOST="${HIY_DASHBOARD_HOST:-hiy.localhost}"   # the dashboard, published through Caddy
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

# The daemon: one per data directory, detached, pid and log in the data directory. Re-running the demo
# restarts it (so it runs the current code); SIGTERM lets a run in progress finish first.
pidfile="$HIY_DATA_DIR/daemon.pid"
# Events printed below are the ones after this point (the history is in `hiy events`).
last_seq() { node bin/hiy.js events --data-dir "$HIY_DATA_DIR" --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const v=JSON.parse(s);console.log(v.length?v[v.length-1].seq:0)}catch{console.log(0)}})'; }
seen=$(last_seq)
logfile="$HIY_DATA_DIR/daemon.log"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  old="$(cat "$pidfile")"
  echo "demo: restarting the running hiy daemon (pid $old)"
  kill -TERM "$old"
  for _ in $(seq 300); do kill -0 "$old" 2>/dev/null || break; sleep 0.2; done
fi
echo "demo: starting hiy daemon on $demo/state (log in $logfile)"
logged=0
[ -f "$logfile" ] && logged=$(wc -l <"$logfile")
# Same detachment as Caddy above: its own session, none of this script's file descriptors.
setsid -f bash -c 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec node --max-semi-space-size=1 --lite-mode --no-expose-wasm "$1/bin/hiy.js" daemon --state "$2"' \
  _ "$here" "$demo/state" >> "$logfile" 2>&1 < /dev/null
# Started once it says so on stdout; a daemon that cannot start (its API address taken, say) says why in one line
# that is not a JSON log line.
started=no
for _ in $(seq 150); do
  new_lines="$(tail -n +"$((logged + 1))" "$logfile" 2>/dev/null || true)"
  if grep -q '^hiy daemon: pid' <<<"$new_lines"; then started=yes; break; fi
  grep -q '^\(error\|hiy\): ' <<<"$new_lines" && break
  sleep 0.2
done
if [ "$started" != yes ]; then
  echo "demo: the daemon did not start (log in $logfile):" >&2
  tail -n +"$((logged + 1))" "$logfile" | grep -v '^{' | tail -n 5 | sed 's/^/  /' >&2
  exit 1
fi

# Wait until the daemon has applied the head commit (the first start builds the App's image: minutes).
head="$(git -C "$demo/state" rev-parse HEAD)"
echo "demo: waiting for the daemon to apply ${head:0:12} (progress: node bin/hiy.js events --follow)"
for _ in $(seq 900); do
  state="$(node bin/hiy.js status --state "$demo/state" --json 2>/dev/null || true)"
  done_=$(printf '%s' "$state" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const v=JSON.parse(s);const ok=v.lastAppliedCommit===process.argv[1]&&v.resources.every(r=>!r.pending);console.log(ok?"yes":v.lastError&&v.lastAttemptedCommit===process.argv[1]?"failed":"no")}catch{console.log("no")}})' "$head")
  # Show new events as they come.
  node bin/hiy.js events --data-dir "$HIY_DATA_DIR" --since "$seen" 2>/dev/null | grep -v '^No events' | sed 's/^/  /' || true
  seen=$(last_seq)
  [ "$done_" = yes ] && break
  if [ "$done_" = failed ]; then echo "demo: the daemon could not apply ${head:0:12}; see hiy status and $logfile" >&2; break; fi
  sleep 1
done
echo
node bin/hiy.js status --state "$demo/state"

port="${HIY_HTTP_ADDR##*:}"
echo
echo "hiy daemon runs in the background: pid $(cat "$pidfile"), log $logfile"
echo "  follow it: node bin/hiy.js events --data-dir $HIY_DATA_DIR --follow"
echo "  stop it:   kill \$(cat $pidfile)      (make demo starts it again)"
# Endpoints the daemon announces in DATA_DIR/daemon.json (the HTTP API: "api").
node -e 'try{const e=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).endpoints||{};for(const [k,v] of Object.entries(e))console.log(`  ${k}: ${v}`)}catch{}' "$HIY_DATA_DIR/daemon.json"
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
dash="http://$HIY_DASHBOARD_HOST${port:+:$port}/"
[ "$port" = "80" ] && dash="http://$HIY_DASHBOARD_HOST/"
echo
echo "The dashboard: $dash  → HTTP $(curl -s -o /dev/null -w '%{http_code}' --resolve "$HIY_DASHBOARD_HOST:$port:127.0.0.1" "$dash" || true)"
echo "  sign in: node bin/hiy.js login USER --state $demo/state --data-dir $HIY_DATA_DIR   (prints a one-time link)"
