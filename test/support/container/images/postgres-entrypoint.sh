#!/bin/sh
# The official postgres image's docker-entrypoint.sh, in its essentials: as root, make PGDATA the
# postgres user's and run again as that user; on the first start (no PG_VERSION yet) make the
# cluster with POSTGRES_USER and POSTGRES_PASSWORD (scram-sha-256 over TCP, trust on the local
# socket, as the official image does) and create POSTGRES_DB; then exec the command (postgres).
set -eu

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (as with the official image)}"
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --pgdata="$PGDATA"
  rm -f "$pwfile"
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  # Socket only while the database is created: nothing reaches it half made.
  pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait start
  if [ "$db" != postgres ]; then
    psql --no-psqlrc --set=ON_ERROR_STOP=1 --username="$user" --dbname=postgres \
      --command="CREATE DATABASE \"$db\""
  fi
  pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop
fi

exec "$@"
