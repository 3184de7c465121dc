#!/bin/sh
# Writes the greeting from the environment, then serves /www on port 8080.
echo "${GREETING:-hello}" > /www/greeting.txt
exec /bin/httpd -f -p 8080 -h /www
