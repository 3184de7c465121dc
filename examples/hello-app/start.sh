#!/bin/sh
# Writes the greeting and the linked database (host, port, name, user; never the password) from the environment,
# then serves /www on port 8080.
echo "${GREETING:-hello}" > /www/greeting.txt

# DATABASE_URL is postgres://USER:PASSWORD@HOST:PORT/DB (given by HIY's link to the postgres Port). Only the parts
# around the password are kept: the user before the first ":", the rest after the last "@". Each part is reduced
# to characters that are safe in HTML.
safe() { printf '%s' "$1" | tr -cd 'A-Za-z0-9._-'; }
if [ -n "${DATABASE_URL:-}" ]; then
  rest="${DATABASE_URL#*://}"
  creds="${rest%@*}"
  case "$rest" in *@*) ;; *) creds="" ;; esac
  where="${rest##*@}"
  user="$(safe "${creds%%:*}")"
  hostport="${where%%/*}"
  host="$(safe "${hostport%%:*}")"
  port="$(safe "${hostport#*:}")"
  [ "$port" = "$host" ] && port=5432
  db="${where#*/}"
  db="$(safe "${db%%\?*}")"
  database="Linked to the database <b>$db</b> on host <b>$host</b> (port $port) as user <b>$user</b>"
  printf 'host=%s port=%s database=%s user=%s\n' "$host" "$port" "$db" "$user" > /www/database.txt
else
  database="No database is linked (DATABASE_URL is not set)"
  echo "none" > /www/database.txt
fi
sed "s|<!--database-->|<p>$database.</p>|" /www/index.html > /www/index.html.new && mv /www/index.html.new /www/index.html
exec /bin/httpd -f -p 8080 -h /www
