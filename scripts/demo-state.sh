#!/usr/bin/env bash
# The demo's box-specific files: DATA_DIR/settings.env (the settings every hiy command and the daemon read), the
# state repo (an example directory, this box's SSH public key, and a User for the person running the demo with the
# admin grant on everything) and the sign-in command, printed alone on the last line of stdout. Called by
# scripts/demo.sh; test/integration/demo-state.test.ts runs it on a throwaway instance.
# In: HIY_DATA_DIR and the HIY_* settings to record (HIY_STATE is set to DEMO_STATE); DEMO_EXAMPLE (a directory of
# resources), DEMO_STATE (the state repo, created on first use), DEMO_PUBKEY (one OpenSSH public key line),
# DEMO_USER (who runs the demo: the User is named after them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${HIY_DATA_DIR:?}" "${DEMO_EXAMPLE:?}" "${DEMO_STATE:?}" "${DEMO_PUBKEY:?}" "${DEMO_USER:?}"
mkdir -p "$HIY_DATA_DIR"

# The settings file: the demo's settings replace their own lines; any other line (a setting added by hand, a
# comment) is kept. Values are written as sh reads them (bare, or single-quoted).
export HIY_STATE="$DEMO_STATE"
node -e '
  const fs = require("fs"), file = process.argv[1];
  const names = ["HIY_STATE", "HIY_CADDY_ADMIN", "HIY_TLS", "HIY_HTTP_ADDR", "HIY_HTTPS_ADDR", "HIY_INSTANCE",
    "HIY_UPSTREAM_PORTS", "HIY_API_ADDR", "HIY_DASHBOARD_HOST"].filter((n) => process.env[n]);
  const quote = (v) => {
    if (/^[A-Za-z0-9_.:\/@%+,=-]+$/.test(v)) return v;
    if (v.includes("\x27")) throw new Error(`a setting holds a single quote: ${v}`);
    return `\x27${v}\x27`;
  };
  let kept = [];
  try { kept = fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== ""); } catch {}
  kept = kept.filter((l) => !names.some((n) => new RegExp(`^(export\\s+)?${n}=`).test(l.trim())));
  if (kept.length === 0) kept.push("# Settings of this HIY instance, read by every hiy command and the daemon (README: Settings).",
    "# A flag or an environment variable overrides a line here. make demo rewrites its own lines and keeps the others.");
  fs.writeFileSync(`${file}.new`, [...kept, ...names.map((n) => `${n}=${quote(process.env[n])}`)].join("\n") + "\n");
  fs.renameSync(`${file}.new`, file);' "$HIY_DATA_DIR/settings.env"

# The User: named after the person (a DNS label), with their key and `*` admin, so `hiy login NAME` signs them in.
user="$(printf '%s' "$DEMO_USER" | tr 'A-Z_.' 'a-z--' | tr -cd 'a-z0-9-' | sed 's/^-*//; s/-*$//' | cut -c1-63)"
[ -n "$user" ] || user="admin"

# Commits a directory's content into the state repo (created on first use) with the box's public key in place of
# the placeholder and the User added, in one commit (the daemon never sees the placeholder); none when unchanged.
mkdir -p "$DEMO_STATE"
[ -d "$DEMO_STATE/.git" ] || git -C "$DEMO_STATE" init -q -b main
rsync -a --delete --exclude .git "$DEMO_EXAMPLE/" "$DEMO_STATE/" 2>/dev/null || {
  find "$DEMO_STATE" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
  cp -a "$DEMO_EXAMPLE/." "$DEMO_STATE/"
}
# A YAML double-quoted string is a JSON string.
for f in "$DEMO_STATE"/*.yaml; do
  [ -e "$f" ] || continue
  grep -q 'AUTHORIZED_KEYS: DEMO_PUBLIC_KEY' "$f" || continue
  node -e 'const fs = require("fs"), [f, k] = process.argv.slice(1);
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replaceAll("AUTHORIZED_KEYS: DEMO_PUBLIC_KEY", `AUTHORIZED_KEYS: ${JSON.stringify(k)}`))' "$f" "$DEMO_PUBKEY"
done
node -e 'const [f, name, key] = process.argv.slice(1);
  require("fs").writeFileSync(f, `# The person who ran make demo (scripts/demo-state.sh): admin on everything, signs in with hiy login ${name}.
apiVersion: hiy/v1
kind: User
metadata:
  name: ${name}
spec:
  sshKeys:
    - ${JSON.stringify(key)}
  grants:
    - app: "*"
      role: admin
`)' "$DEMO_STATE/user-$user.yaml" "$user" "$DEMO_PUBKEY"
git -C "$DEMO_STATE" add -A
if ! git -C "$DEMO_STATE" diff --cached --quiet 2>/dev/null || ! git -C "$DEMO_STATE" rev-parse -q --verify HEAD >/dev/null; then
  git -C "$DEMO_STATE" -c user.name=hiy-demo -c user.email=demo@hiy.invalid commit -q -m "sync from $(basename "$DEMO_EXAMPLE")"
fi
# The schema modelines in state-example point at ../crds; keep them resolvable next to the copy.
rm -rf "$DEMO_STATE/../crds" && cp -a "$here/crds" "$DEMO_STATE/../crds"

# Exactly what a person types: from the checkout, the data directory named (it locates the settings file).
printf 'node %q login %q --data-dir %q\n' "$here/bin/hiy.js" "$user" "$HIY_DATA_DIR"
