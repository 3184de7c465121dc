#!/usr/bin/env bash
# npm ci, only when node_modules does not hold what package-lock.json pins (compared by content: a fresh checkout's
# lock file is newer than node_modules without being different). Used by make deps (so make ports and make test)
# and by scripts/demo.sh; a second run with nothing changed takes a fraction of a second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
deps_ok() {
  [ -x node_modules/.bin/esbuild ] && [ -f node_modules/.package-lock.json ] && node -e '
    const lock = require(process.argv[1]), have = require(process.argv[2]).packages;
    const off = Object.entries(lock.packages).filter(([k, e]) => k && !e.optional && !e.peer && have[k]?.version !== e.version);
    process.exit(off.length ? 1 : 0)' "$PWD/package-lock.json" "$PWD/node_modules/.package-lock.json"
}
if deps_ok; then
  echo "deps: node_modules matches package-lock.json (npm ci skipped)"
else
  echo "deps: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
