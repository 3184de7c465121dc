# Shared by the shell port's entrypoint and hooks: accounts in /run (the image layer stays untouched), key checks.
# shellcheck shell=bash
HIY_UID=1000

# Prints one problem per line for the settings (empty output: all good). Never prints key material.
shell_problems() {
  local user="${USERNAME:-}" keys="${AUTHORIZED_KEYS:-}" shell="${LOGIN_SHELL:-bash}"
  if [[ -z "$user" ]]; then
    echo "USERNAME is empty: it must hold the login name of the shell's user, e.g. alice"
  elif ! [[ "$user" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
    echo "USERNAME=\"$user\" is not a valid login name: it must be lowercase letters, digits, _ and - (at most 32, not starting with a digit or -)"
  elif cut -d: -f1 /etc/passwd.base | grep -qx -- "$user"; then
    echo "USERNAME=\"$user\" is a system account of the image: choose another login name"
  fi
  if [[ "$shell" != bash && "$shell" != zsh ]]; then
    echo "LOGIN_SHELL=\"$shell\" is not supported: it must be bash or zsh"
  fi
  if [[ "${ALLOW_TCP_FORWARDING:-no}" != yes && "${ALLOW_TCP_FORWARDING:-no}" != no ]]; then
    echo "ALLOW_TCP_FORWARDING=\"$ALLOW_TCP_FORWARDING\" is not supported: it must be yes or no"
  fi
  check_keys AUTHORIZED_KEYS "$keys"
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

# Writes /run/hiy/{passwd,group,shadow} (the image's /etc files are symlinks to them) with the configured user.
setup_accounts() {
  local user="$1" shell="$2"
  mkdir -p /run/hiy
  chmod 755 /run/hiy
  cp /etc/passwd.base /run/hiy/passwd
  cp /etc/group.base /run/hiy/group
  install -m 640 -g shadow /etc/shadow.base /run/hiy/shadow
  if [[ -n "$user" ]]; then
    echo "$user:x:$HIY_UID:$HIY_UID::/home/$user:/bin/$shell" >>/run/hiy/passwd
    echo "$user:x:$HIY_UID:" >>/run/hiy/group
    # "*": no password can ever match, and the account is not locked, so key login works (UsePAM no).
    echo "$user:*:19000:0:99999:7:::" >>/run/hiy/shadow
  fi
}

# Accounts for a hook run (no user yet, but tools like ssh-keygen need root's entry).
setup_accounts_for_hook() { [[ -e /run/hiy/passwd ]] || setup_accounts "" bash; }
