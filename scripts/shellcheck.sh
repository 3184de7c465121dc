#!/usr/bin/env bash
# `shellcheck -x` of every tracked shell script (scripts, CI, images, examples, port entrypoints and hooks), run by
# `npm test`: warnings and errors fail. A port's lib.sh is a library its hooks source (as /usr/local/lib/hiy/lib.sh
# in the image), so the variables it sets for them are not "unused" there (SC2034).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts=()
libraries=()
while IFS= read -r f; do
  case "$f" in
    ports/*/hiy/lib.sh) libraries+=("$f") ;;
    *.sh) scripts+=("$f") ;;
    *) if [ -f "$f" ] && head -n 1 "$f" | grep -qE '^#!.*[/ ](ba|da)?sh( |$)'; then scripts+=("$f"); fi ;;
  esac
done < <(git ls-files)
shellcheck -x --severity=warning "${scripts[@]}"
shellcheck -x --severity=warning --exclude=SC2034 "${libraries[@]}"
echo "shellcheck: ${#scripts[@]} scripts and ${#libraries[@]} port libraries clean"
