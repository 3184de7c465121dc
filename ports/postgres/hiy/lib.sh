# Shared by the postgres port's entrypoint and hooks.
# shellcheck shell=bash
PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PGDATA=${PGDATA:-/var/lib/postgresql/data/pgdata}
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

# Prints one problem per line for the settings and the data (empty output: all good). Never prints the password.
pg_problems() {
  local db="${POSTGRES_DB:-app}" user="${POSTGRES_USER:-app}" pw="${POSTGRES_PASSWORD:-}"
  [[ "$db" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
    echo "POSTGRES_DB=\"$db\" is not a usable database name: it must be lowercase letters, digits and _ (at most 63)"
  [[ "$user" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
    echo "POSTGRES_USER=\"$user\" is not a usable role name: it must be lowercase letters, digits and _ (at most 63)"
  if [[ -z "$pw" ]]; then
    echo "POSTGRES_PASSWORD is empty: it must hold the password of POSTGRES_USER (a secret; HIY generates one)"
  elif ((${#pw} < 8)); then
    echo "POSTGRES_PASSWORD is too short: it must hold at least 8 characters"
  fi
  if [[ -s "$PGDATA/PG_VERSION" ]]; then
    local have
    have="$(cat "$PGDATA/PG_VERSION")"
    [[ "$have" == "$PG_MAJOR" ]] ||
      echo "the volume data holds a PostgreSQL $have cluster and this image runs $PG_MAJOR: restore the snapshot of the matching version or use an image with a migrate hook"
  fi
}
