#!/bin/sh
# PostgreSQL for deploy/compose.yml: on first start an empty cluster whose superuser's
# password is POSTGRES_PASSWORD (from the environment, never stored in a file of the
# project) and the databases in POSTGRES_DATABASES; then the server in the foreground.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (the environment of podman-compose)}"
user="${POSTGRES_USER:-intake}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 --locale=C >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/run/postgresql" -w start >/dev/null
  for database in ${POSTGRES_DATABASES:-tracker intake}; do
    PGPASSWORD="$POSTGRES_PASSWORD" psql -h /run/postgresql -U "$user" -d postgres -q \
      -c "CREATE DATABASE \"$database\" OWNER \"$user\""
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "postgres-start: created databases ${POSTGRES_DATABASES:-tracker intake}"
fi
exec postgres -D "$PGDATA" -c listen_addresses="${POSTGRES_LISTEN:-*}" -c port="${PGPORT:-5432}" \
  -c unix_socket_directories=/run/postgresql -c max_connections=200
