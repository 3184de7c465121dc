# Shared by the web port's entrypoint and check hook: the settings' checks.
# shellcheck shell=bash

# Prints one problem per line for the settings (empty output: all good). Never prints key material.
web_problems() {
  local age="${ASSET_MAX_AGE:-3600}"
  if ! [[ "$age" =~ ^[0-9]{1,8}$ ]]; then
    echo "ASSET_MAX_AGE=\"$age\" is not a number of seconds: it must be digits only, e.g. 3600"
  fi
  check_keys AUTHORIZED_KEYS "${AUTHORIZED_KEYS:-}"
}
# check_keys VAR VALUE: prints a problem for an empty list and for every line that is not an OpenSSH public key.
check_keys() {
  local var="$1" value="$2" n=0 good=0 line tmp
  tmp="$(mktemp)"
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    line="${line%$'\r'}"
    [[ -z "${line//[[:space:]]/}" || "$line" =~ ^[[:space:]]*# ]] && continue
    printf '%s\n' "$line" >"$tmp"
    if ssh-keygen -l -f "$tmp" >/dev/null 2>&1; then
      good=$((good + 1))
    else
      echo "$var line $n is not an OpenSSH public key: each line must look like \"ssh-ed25519 AAAA... comment\""
    fi
  done <<<"$value"
  rm -f "$tmp"
  if ((good == 0)) && [[ -z "${value//[[:space:]]/}" ]]; then
    echo "$var is empty: it must hold at least one SSH public key (one per line, as in ~/.ssh/authorized_keys)"
  elif ((good == 0)); then
    echo "$var holds no valid SSH public key"
  fi
  return 0
}
