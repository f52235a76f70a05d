#!/usr/bin/env bash
# First start: a cluster owned by POSTGRES_USER with POSTGRES_PASSWORD (scram over TCP), and
# POSTGRES_DB; later starts reuse the volume. Then the server runs in the foreground.
set -euo pipefail
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo "postgres: set POSTGRES_PASSWORD (clients connect over TCP with a password)" >&2
  exit 1
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") >/dev/null
  printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != "postgres" ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "postgres: initialized $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)" >&2
fi
exec postgres -D "$PGDATA" "$@"
