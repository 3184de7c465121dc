# Shared by the email port's entrypoint and check hook: the settings' checks and the certificate's paths.
# shellcheck shell=bash
TLS_DIR=/var/lib/hiy-mail/tls

mail_hostname() { echo "${MAIL_HOSTNAME:-mail.${DOMAIN:-}}"; }

# Prints one problem per line for the settings (empty output: all good). Never prints a password hash.
mail_problems() {
  local domain="${DOMAIN:-}" users="${MAIL_USERS:-}" n=0 good=0 line name hash
  local domain_re='^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$'
  if [[ -z "$domain" ]]; then
    echo "DOMAIN is empty: it must hold the mail domain, e.g. example.org"
  elif ! [[ "$domain" =~ $domain_re ]]; then
    echo "DOMAIN=\"$domain\" is not a domain name: it must be lowercase labels separated by dots, e.g. example.org"
  fi
  if [[ -n "${MAIL_HOSTNAME:-}" ]] && ! [[ "$MAIL_HOSTNAME" =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]]; then
    echo "MAIL_HOSTNAME=\"$MAIL_HOSTNAME\" is not a host name: it must be lowercase letters, digits, dots and -"
  fi
  declare -A seen=()
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    line="${line%$'\r'}"
    [[ -z "${line//[[:space:]]/}" || "$line" =~ ^[[:space:]]*# ]] && continue
    name="${line%%:*}"
    hash="${line#*:}"
    if [[ "$line" != *:* ]] || ! [[ "$name" =~ ^[a-z0-9][a-z0-9._-]*(@.+)?$ ]]; then
      echo "MAIL_USERS line $n does not start with a user name: each line must be \"user:{SCHEME}hash\" (user: lowercase letters, digits, . _ -)"
      continue
    fi
    if [[ "$name" == *@* && "${name#*@}" != "$domain" ]]; then
      echo "MAIL_USERS line $n names $name, outside DOMAIN ($domain): give the user name only, or USER@$domain"
      continue
    fi
    name="${name%@*}"
    if ! [[ "$hash" =~ ^\{(SHA512-CRYPT|SHA256-CRYPT|BLF-CRYPT|ARGON2I|ARGON2ID|SSHA512|SSHA256|CRYPT)\}[^[:space:]:]+$ ]]; then
      echo "MAIL_USERS line $n ($name) has no usable password hash: it must be {SCHEME}hash, e.g. from: doveadm pw -s SHA512-CRYPT"
      continue
    fi
    if [[ -n "${seen[$name]:-}" ]]; then
      echo "MAIL_USERS line $n repeats the user $name (first on line ${seen[$name]}): each user must appear once"
      continue
    fi
    seen[$name]=$n
    good=$((good + 1))
  done <<<"$users"
  if [[ -z "${users//[[:space:]]/}" ]]; then
    echo "MAIL_USERS is empty: it must hold at least one mailbox line \"user:{SCHEME}hash\" (a secret: hiy secret set)"
  fi
  if [[ -n "${TLS_CERT_FILE:-}" || -n "${TLS_KEY_FILE:-}" ]]; then
    if [[ -z "${TLS_CERT_FILE:-}" || -z "${TLS_KEY_FILE:-}" ]]; then
      echo "TLS_CERT_FILE and TLS_KEY_FILE must be given together (or neither, for the generated certificate)"
    elif [[ ! -r "$TLS_CERT_FILE" ]]; then
      echo "TLS_CERT_FILE=\"$TLS_CERT_FILE\" cannot be read: it must be the path of a PEM certificate inside a mounted volume"
    elif [[ ! -r "$TLS_KEY_FILE" ]]; then
      echo "TLS_KEY_FILE=\"$TLS_KEY_FILE\" cannot be read: it must be the path of the PEM private key inside a mounted volume"
    elif [[ "$(openssl x509 -noout -pubkey -in "$TLS_CERT_FILE" 2>/dev/null)" != "$(openssl pkey -pubout -in "$TLS_KEY_FILE" 2>/dev/null)" ]]; then
      echo "TLS_KEY_FILE is not the private key of TLS_CERT_FILE: they must be a matching PEM pair"
    fi
  fi
  return 0
}
