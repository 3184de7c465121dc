#!/usr/bin/env bash
# The main job: set up this box, start `hiy daemon` on state-example/ in the background and print what now serves:
# a small personal server (web site, shell, mail, postgres and an App linked to it). Run as root on Debian 12:
# `make demo`. Safe to run again: it restarts the daemon, which converges and changes nothing the second time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

# The box first (packages, Podman, base images); the port images need node_modules, so they come after npm ci.
ports_wanted="${HIY_SETUP_PORTS:-1}"
HIY_SETUP_PORTS=0 bash scripts/setup.sh
# npm ci only when node_modules does not hold what package-lock.json pins.
bash scripts/deps.sh | sed 's/^/demo: /'
# The port images (ports/NAME) the state repo runs: built once (minutes), then only when a port's files change.
if [ "$ports_wanted" != 0 ]; then
  echo "demo: port images (ports/; built once, then only when a port's files or packages change)"
  t0=$SECONDS
  node_modules/.bin/tsx scripts/ports.ts build 2>&1 | sed 's/^/demo:   /'
  echo "demo: port images ready ($((SECONDS - t0)) s)"
fi
# Always rebuild: the daemon runs dist/, which must match the sources of this checkout.
npm run build

export HIY_DATA_DIR="${HIY_DATA_DIR:-/var/lib/hiy}"
export HIY_CADDY_ADMIN="${HIY_CADDY_ADMIN:-http://127.0.0.1:2019}"
# Caddy's own CA (no internet needed; `hiy ca` prints its root): HTTPS on :443, plain HTTP on :80 redirects there.
export HIY_TLS="${HIY_TLS:-internal}"     # `acme` on a server the internet reaches; `off` for plain HTTP only
export HIY_HTTP_ADDR="${HIY_HTTP_ADDR:-:80}"
export HIY_HTTPS_ADDR="${HIY_HTTPS_ADDR:-:443}"
export HIY_DASHBOARD_HOST="${HIY_DASHBOARD_HOST:-hiy.localhost}"   # the dashboard, published through Caddy
demo="$HIY_DATA_DIR/demo"
mkdir -p "$demo"

# Caddy: use the one answering on the admin address, else start one in the background.
if ! curl -fsS -o /dev/null "$HIY_CADDY_ADMIN/config/" 2>/dev/null; then
  admin="${HIY_CADDY_ADMIN#http://}"
  printf '{"admin":{"listen":"%s"}}\n' "$admin" > "$demo/caddy-bootstrap.json"
  echo "demo: no Caddy answers at $HIY_CADDY_ADMIN; starting one in the background (log in $demo/caddy.log)"
  # Detached in its own session, holding none of this script's file descriptors (a pipe kept open would
  # keep `make demo | …` from ending).
  setsid -f bash -c 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; cd "$2"; exec caddy run --config "$1" --pidfile "$2/caddy.pid"' \
    _ "$demo/caddy-bootstrap.json" "$demo" > "$demo/caddy.log" 2>&1 < /dev/null
  for _ in $(seq 50); do curl -fsS -o /dev/null "$HIY_CADDY_ADMIN/config/" 2>/dev/null && break; sleep 0.2; done
fi

# Box-specific values never go into git (state-example/ holds none): the SSH public key of the shell and web ports,
# and the demo mailbox. The invoking user's key when there is one (sudo: the user who ran sudo), else one made once.
login_user="${SUDO_USER:-$(id -un)}"
login_home="$(getent passwd "$login_user" | cut -d: -f6 || true)"
pubkey_file="" identity=""
for f in "$login_home/.ssh/id_ed25519.pub" "$login_home/.ssh/id_rsa.pub"; do
  if [ -n "$login_home" ] && [ -r "$f" ] && ssh-keygen -l -f "$f" >/dev/null 2>&1; then pubkey_file="$f"; break; fi
done
if [ -z "$pubkey_file" ]; then
  identity="$demo/id_ed25519"
  if [ ! -f "$identity" ]; then
    echo "demo: no ~/.ssh/id_ed25519.pub or id_rsa.pub for $login_user; making the demo's key $identity"
    ssh-keygen -q -t ed25519 -N '' -C "hiy-demo@$(hostname)" -f "$identity"
  fi
  pubkey_file="$identity.pub"
fi
pubkey="$(grep -m1 -E '^(ssh|ecdsa|sk)-' "$pubkey_file" | tr -d '\r' || true)"
[ -n "$pubkey" ] || { echo "demo: $pubkey_file holds no OpenSSH public key" >&2; exit 1; }

# The demo mailbox: a random password kept in a file only root can read (never printed), and the mailboxes file
# (user:{SHA512-CRYPT}hash lines, the email port's MAIL_USERS) that becomes the secret mail-users.
mail_password="$demo/mail-password" mail_users="$demo/mail-users"
hiy() { node "$here/bin/hiy.js" "$@"; }
(
  umask 077
  if [ ! -s "$mail_password" ]; then
    head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$mail_password"
    rm -f "$mail_users"
  fi
  if [ ! -s "$mail_users" ]; then
    # SHA512-CRYPT, as `openssl passwd -6` makes it (the email image has openssl when this box does not).
    if command -v openssl >/dev/null; then hash="$(openssl passwd -6 -stdin < "$mail_password")"
    else hash="$(podman run --rm -i --network none --entrypoint openssl localhost/hiy-ports/email:1.2.0 passwd -6 -stdin < "$mail_password")"; fi
    printf '# The mailboxes of the demo email port: one "user:{SHA512-CRYPT}hash" line each (secret mail-users).\ndemo:{SHA512-CRYPT}%s\n' "$hash" > "$mail_users.new"
    mv "$mail_users.new" "$mail_users"
  fi
)
# Set when missing or older than the file (the store keeps NAME in DATA_DIR/secrets/values): edits to the file reach
# the secret at the next run, and a value set later by hand with `hiy secret set` stays.
if [ "$mail_users" -nt "$HIY_DATA_DIR/secrets/values/mail-users" ]; then
  hiy secret set mail-users --from-file "$mail_users" --data-dir "$HIY_DATA_DIR" >/dev/null
  echo "demo: secret mail-users set from $mail_users"
fi

# Commits a directory's content into a git repository (created on first use); no commit when nothing changed, so a
# second run makes none.
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
# The settings file (DATA_DIR/settings.env: every hiy command and the daemon read it, so a command typed in any shell
# plans what the daemon does), and the state repo: state-example/ with this box's key and a User for you (admin).
sign_in="$(DEMO_EXAMPLE="$here/state-example" DEMO_STATE="$demo/state" DEMO_PUBKEY="$pubkey" DEMO_USER="$login_user" \
  bash scripts/demo-state.sh | tail -n 1)"
echo "demo: settings in $HIY_DATA_DIR/settings.env (hiy settings shows them)"
sync_repo "$here/examples/hello-app" "$demo/src/hello"

# The daemon: one per data directory, detached, pid and log in the data directory. Re-running the demo
# restarts it (so it runs the current code); SIGTERM lets a run in progress finish first.
pidfile="$HIY_DATA_DIR/daemon.pid"
# The daemon's pid: daemon.pid is a lock file (JSON: pid, start time, boot id…); empty when there is none.
daemon_pid() { node -e 'try{const v=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(typeof v==="number"?v:v.pid??"")}catch{}' "$pidfile"; }
# Events printed below are the ones after this point (the history is in `hiy events`).
last_seq() { node bin/hiy.js events --data-dir "$HIY_DATA_DIR" --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const v=JSON.parse(s);console.log(v.length?v[v.length-1].seq:0)}catch{console.log(0)}})'; }
seen=$(last_seq)
logfile="$HIY_DATA_DIR/daemon.log"
old="$(daemon_pid)"
if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
  echo "demo: restarting the running hiy daemon (pid $old)"
  kill -TERM "$old"
  for _ in $(seq 300); do kill -0 "$old" 2>/dev/null || break; sleep 0.2; done
fi
echo "demo: starting hiy daemon on $demo/state, settings from $HIY_DATA_DIR/settings.env (log in $logfile)"
logged=0
[ -f "$logfile" ] && logged=$(wc -l <"$logfile")
# Same detachment as Caddy above: its own session, none of this script's file descriptors.
setsid -f bash -c 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec node --max-semi-space-size=1 --lite-mode --no-expose-wasm "$1/bin/hiy.js" daemon' \
  _ "$here" >> "$logfile" 2>&1 < /dev/null
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
echo "hiy daemon runs in the background: pid $(daemon_pid), log $logfile"
echo "  follow it: node bin/hiy.js events --data-dir $HIY_DATA_DIR --follow"
echo "  stop it:   kill $(daemon_pid)      (make demo starts it again)"
# Endpoints the daemon announces in DATA_DIR/daemon.json (the HTTP API: "api").
node -e 'try{const e=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).endpoints||{};for(const [k,v] of Object.entries(e))console.log(`  ${k}: ${v}`)}catch{}' "$HIY_DATA_DIR/daemon.json"
echo
# With TLS on, every URL is HTTPS (verified against the root written here) and its plain-HTTP twin redirects to it.
tls_port="${HIY_HTTPS_ADDR##*:}" root_pem="$demo/hiy-root.pem"
if [ "$HIY_TLS" = internal ]; then node bin/hiy.js ca --state "$demo/state" > "$root_pem" 2>/dev/null || rm -f "$root_pem"; fi
# Prints "URL → HTTP CODE" for host and path: HTTPS (and the plain HTTP redirect) with TLS on, plain HTTP with it off.
show_url() {
  local host="$1" path="$2" url code
  if [ "$HIY_TLS" != off ]; then
    url="https://$host${tls_port:+:$tls_port}$path"; [ "$tls_port" = 443 ] && url="https://$host$path"
    local trust=(--insecure); [ -s "$root_pem" ] && trust=(--cacert "$root_pem")
    code=$(curl -s -o /dev/null -w '%{http_code}' "${trust[@]}" --resolve "$host:$tls_port:127.0.0.1" "$url" || true)
    echo "  $url  → HTTP $code"
  fi
  url="http://$host${port:+:$port}$path"; [ "$port" = 80 ] && url="http://$host$path"
  code=$(curl -s -o /dev/null -w '%{http_code}' --resolve "$host:$port:127.0.0.1" "$url" || true)
  echo "  $url  → HTTP $code$([ "$HIY_TLS" != off ] && echo ' (redirect to HTTPS)')"
}
echo "URLs now served through Caddy (hosts under .localhost resolve to this machine):"
node bin/hiy.js status --state "$demo/state" --json \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const r of JSON.parse(s).resources)for(const u of r.routes)console.log(u)})' \
  | while read -r route; do show_url "${route%%/*}" "/${route#*/}"; done
echo
echo "The dashboard (its cookies are Secure over HTTPS):"
show_url "$HIY_DASHBOARD_HOST" /
if [ -s "$root_pem" ]; then
  echo "HTTPS certificates come from HIY's internal CA; trust its root ($root_pem, also: node bin/hiy.js ca):"
  echo "  curl --cacert $root_pem https://$HIY_DASHBOARD_HOST/"
  echo "  a browser: import $root_pem as a certificate authority (Firefox: Settings → Certificates → Authorities)"
  echo "  this machine (Debian): cp $root_pem /usr/local/share/ca-certificates/hiy-root.crt && update-ca-certificates"
fi
echo "  sign in (prints a one-time link to open in the browser): $sign_in"
if [ -f "$demo/caddy.pid" ] && [ "$(ps -o comm= -p "$(cat "$demo/caddy.pid")" 2>/dev/null)" = caddy ]; then
  echo "Caddy (started by the demo): pid $(cat "$demo/caddy.pid"), stop it: kill \$(cat $demo/caddy.pid)"
fi

# The rest of the personal server: what the state repo publishes on host ports (read from its files), one value a
# line in a fixed order, read into variables (never evaluated: the values come from the state repo's YAML).
ssh_port="" shell_user="" sftp_port="" smtp_port="" submission_port="" imap_port="" pop3_port="" mail_domain=""
{
  read -r ssh_port; read -r shell_user; read -r sftp_port; read -r smtp_port
  read -r submission_port; read -r imap_port; read -r pop3_port; read -r mail_domain
} < <(node -e '
  const fs = require("fs"), { parse } = require("yaml"), dir = process.argv[1];
  const spec = (f) => { try { return parse(fs.readFileSync(`${dir}/${f}`, "utf8")).spec ?? {}; } catch { return {}; } };
  const host = (s, p) => (s.ports ?? []).find((x) => x.containerPort === p)?.hostPort ?? "";
  const shell = spec("shell.yaml"), web = spec("web.yaml"), mail = spec("email.yaml");
  const v = [host(shell, 22), shell.env?.USERNAME ?? "", host(web, 2222), host(mail, 25), host(mail, 587),
    host(mail, 143), host(mail, 110), mail.env?.DOMAIN ?? ""];
  for (const x of v) console.log(String(x).replace(/[\r\n]/g, " "));' "$demo/state") || true
answers() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && echo "answers" || echo "NOT answering"; }
key_flag=""
[ -n "$identity" ] && key_flag=" -i $identity"
echo
echo "The shell (port/shell): ssh -p $ssh_port$key_flag $shell_user@127.0.0.1      (port $ssh_port $(answers "$ssh_port"))"
echo "The web site's files (port/web): sftp -P $sftp_port$key_flag web@127.0.0.1   (lands in /public, what the site serves; port $sftp_port $(answers "$sftp_port"))"
[ -n "$identity" ] && echo "  (the demo made that key; yours would be used if $login_user had ~/.ssh/id_ed25519.pub or id_rsa.pub)"
echo "Mail for @$mail_domain (port/email; STARTTLS on every port, with a self-signed certificate):"
for p in "SMTP (incoming):$smtp_port" "submission (log in):$submission_port" "IMAP:$imap_port" "POP3:$pop3_port"; do
  printf '  %-20s 127.0.0.1:%s  %s\n' "${p%:*}" "${p##*:}" "$(answers "${p##*:}")"
done
echo "  mailbox demo@$mail_domain (log in as demo): the password is in $mail_password (only root can read it)"
echo "  add a mailbox (openssl asks for its password; the daemon redeploys the email port at its next resync):"
echo "    echo \"alice:{SHA512-CRYPT}\$(openssl passwd -6)\" >> $mail_users"
echo "    node bin/hiy.js secret set mail-users --from-file $mail_users --data-dir $HIY_DATA_DIR"
echo "The hello App is linked to port/postgres: its page shows the DATABASE_URL it got (host, database, user), never the password."
