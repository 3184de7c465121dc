#!/bin/sh
# Refreshes the README's pictures of the dashboard's usage sections (docs/screenshots/usage-*.png): runs the
# browser test of those sections with a few minutes of real samples (a CPU-bound loop, requests through Caddy).
set -eu
cd "$(dirname "$0")/.."
HIY_SCREENSHOTS=1 exec node --import tsx --test --test-reporter=spec test/integration/dashboard-usage.test.ts
