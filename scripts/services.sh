#!/usr/bin/env bash
# Local PostgreSQL and Redis (and HAProxy) for the production-mode test pass and `make prod-demo`.
#
#   scripts/services.sh install            Debian packages: postgresql, redis-server, haproxy (+ openssl, curl)
#   scripts/services.sh start DIR PGPORT REDISPORT
#                                          a private PostgreSQL cluster and Redis server whose
#                                          files live in DIR, on 127.0.0.1 only; idempotent
#   scripts/services.sh stop DIR           stop both
#   scripts/services.sh env DIR            print the DATABASE_URL/REDIS_URL lines for DIR
#
# These are throwaway servers for tests and demos (fsync off, no persistence for Redis). A real
# deployment uses the distribution's own services: see docs/deployment.md.
set -euo pipefail

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"

as_postgres() {
  # PostgreSQL refuses to run as root; Debian's package creates the `postgres` user.
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  local missing=()
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/postgres" ] || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Kindred's production mode needs: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d: don't let the packages start their own system-wide services; we start ours.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
}

start() {
  local dir="$1" pgport="$2" redisport="$3"
  PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  # PostgreSQL: its own cluster, socket beside it, TCP on 127.0.0.1 only. It lives in $dir/pg
  # unless the postgres user can't reach $dir (a clone under /root, say): then in /var/tmp.
  local pgdir; pgdir="$(pg_home "$dir")"
  if [ ! -f "$pgdir/pg/PG_VERSION" ]; then
    mkdir -p "$pgdir/pg"
    [ "$(id -u)" = "0" ] && chown postgres: "$pgdir" "$pgdir/pg"
    as_postgres "$PG_BIN/initdb" -D "$pgdir/pg" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$pgdir/pg" status >/dev/null 2>&1; then
    as_postgres "$PG_BIN/pg_ctl" -D "$pgdir/pg" -l "$pgdir/pg.log" -w -t 60 start \
      -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
  fi
  # The application's role and database; its password is the local file's (tests, demos).
  local pw_file="$dir/pg-password"
  [ -f "$pw_file" ] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$pw_file"; chmod 600 "$pw_file"; }
  local pw; pw="$(cat "$pw_file")"
  as_postgres "$PG_BIN/psql" -q -h "$pgdir" -p "$pgport" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kindred') THEN
    CREATE ROLE kindred LOGIN CREATEDB PASSWORD '$pw';
  END IF;
END \$\$;
-- Throwaway clusters only: lets the tests' DROP DATABASE ... WITH (FORCE) end an autovacuum
-- worker that happens to be busy in the database being dropped.
DO \$\$ BEGIN
  IF NOT pg_has_role('kindred', 'pg_signal_backend', 'member') THEN
    GRANT pg_signal_backend TO kindred;
  END IF;
END \$\$;
SQL
  if ! as_postgres "$PG_BIN/psql" -h "$pgdir" -p "$pgport" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='kindred'" | grep -q 1; then
    as_postgres "$PG_BIN/createdb" -h "$pgdir" -p "$pgport" -U postgres -O kindred kindred
  fi
  # Redis: loopback only, no persistence (a message bus and rate-limit counters).
  if ! redis-cli -p "$redisport" ping >/dev/null 2>&1; then
    redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
    for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  env_lines "$dir" "$pgport" "$redisport" > "$dir/env"
}

pg_home() {
  # Where the cluster of services folder $1 lives (see start).
  local dir="$1"
  if [ "$(id -u)" != "0" ] || runuser -u postgres -- test -x "$dir" 2>/dev/null; then
    echo "$dir"
  else
    echo "/var/tmp/kindred-pg-$(printf '%s' "$dir" | md5sum | cut -c1-12)"
  fi
}

env_lines() {
  local dir="$1" pgport="$2" redisport="$3"
  echo "DATABASE_URL=postgresql+psycopg://kindred:$(cat "$dir/pg-password")@127.0.0.1:$pgport/kindred"
  echo "REDIS_URL=redis://127.0.0.1:$redisport/0"
}

stop() {
  local dir="$1"
  PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
  local pgdir; pgdir="$(pg_home "$(cd "$dir" 2>/dev/null && pwd || echo "$dir")")"
  if [ -f "$pgdir/pg/PG_VERSION" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$pgdir/pg" -m fast stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/redis.pid" ]; then
    kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    rm -f "$dir/redis.pid"
  fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  install) install ;;
  start) install; start "$@" ;;
  stop) stop "$@" ;;
  env) cat "$1/env" ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
