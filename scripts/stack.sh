#!/usr/bin/env bash
# Kindred in production shape on one machine: PostgreSQL + Redis (scripts/services.sh), N
# gunicorn processes (gevent, one worker each, ports BASE+1..BASE+N) and HAProxy in front with
# TLS and cookie-sticky sessions (Socket.IO needs every request of a session on one worker).
#
#   scripts/stack.sh start DIR PORT N      start everything (idempotent); HTTPS on 127.0.0.1:PORT
#   scripts/stack.sh stop DIR              stop everything started from DIR
#
# DIR holds the servers' files, the generated HAProxy config and self-signed certificate, the
# environment (DIR/kindred.env) and the logs. Used by `make prod-demo`, tests/test_stack.py and
# bench/prod/. A real deployment runs the same pieces under systemd: docs/deployment.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PY="${KINDRED_PYTHON:-$ROOT/.venv/bin/python}"

start() {
  local dir="$1" port="$2" n="$3"
  local base="${KINDRED_WORKER_BASE_PORT:-$((port + 100))}"
  local pgport="${KINDRED_PG_PORT:-$((port + 50))}" redisport="${KINDRED_REDIS_PORT:-$((port + 51))}"
  mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
  scripts/services.sh start "$dir/services" "$pgport" "$redisport"
  # The app's environment: production config, secrets kept in DIR (mode 600).
  if [ ! -f "$dir/kindred.env" ]; then
    {
      cat "$dir/services/env"
      echo "KINDRED_ENV=production"
      echo "SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')"
      echo "KINDRED_INSTANCE=$dir/instance"
      echo "TRUSTED_PROXY_COUNT=1"
    } > "$dir/kindred.env"
    chmod 600 "$dir/kindred.env"
  fi
  [ -n "${KINDRED_EXTRA_ENV:-}" ] && printf '%s\n' $KINDRED_EXTRA_ENV >> "$dir/kindred.env"
  set -a; . "$dir/kindred.env"; set +a
  mkdir -p "$KINDRED_INSTANCE"
  "$PY" -m flask --app wsgi db upgrade >/dev/null 2>&1 || "$PY" -m flask --app wsgi db upgrade
  [ -n "${KINDRED_SEED_DEMO:-}" ] && "$PY" -m flask --app wsgi kindred seed-demo --demo-deployment
  # Workers.
  local servers=""
  for i in $(seq 1 "$n"); do
    local wport=$((base + i))
    servers+="    server w$i 127.0.0.1:$wport cookie w$i check inter 2s fall 3 rise 2"$'\n'
    if ! curl -sf -o /dev/null "http://127.0.0.1:$wport/healthz"; then
      KINDRED_BIND="127.0.0.1:$wport" setsid "$PY" -m gunicorn -c gunicorn.conf.py \
        --pid "$dir/w$i.pid" wsgi:app >>"$dir/w$i.log" 2>&1 < /dev/null &
    fi
  done
  for i in $(seq 1 "$n"); do
    local wport=$((base + i))
    for _ in $(seq 150); do curl -sf -o /dev/null "http://127.0.0.1:$wport/healthz" && break; sleep 0.2; done
    curl -sf -o /dev/null "http://127.0.0.1:$wport/healthz" || { echo "worker $i did not start:" >&2; tail -20 "$dir/w$i.log" >&2; exit 1; }
  done
  # TLS: a self-signed certificate for 127.0.0.1 (a real deployment uses its own: see the guide).
  if [ ! -f "$dir/tls.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      -keyout "$dir/tls.key" -out "$dir/tls.crt" >/dev/null 2>&1
    cat "$dir/tls.crt" "$dir/tls.key" > "$dir/tls.pem"; chmod 600 "$dir/tls.pem" "$dir/tls.key"
  fi
  sed -e "s|@PORT@|$port|g" -e "s|@PEM@|$dir/tls.pem|g" -e "s|@DIR@|$dir|g" deploy/haproxy.cfg.in > "$dir/haproxy.cfg"
  printf '%s' "$servers" >> "$dir/haproxy.cfg"
  if [ -f "$dir/haproxy.pid" ] && kill -0 "$(cat "$dir/haproxy.pid")" 2>/dev/null; then
    haproxy -f "$dir/haproxy.cfg" -D -p "$dir/haproxy.pid" -sf "$(cat "$dir/haproxy.pid")"
  else
    haproxy -f "$dir/haproxy.cfg" -D -p "$dir/haproxy.pid"
  fi
  for _ in $(seq 50); do curl -skf -o /dev/null "https://127.0.0.1:$port/healthz" && break; sleep 0.2; done
  echo "Kindred (production mode, $n workers) is on https://127.0.0.1:$port/ (self-signed certificate)"
}

stop() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  dir="$(cd "$dir" && pwd)"
  [ -f "$dir/haproxy.pid" ] && kill "$(cat "$dir/haproxy.pid")" 2>/dev/null || true
  for pid in "$dir"/w*.pid; do
    [ -f "$pid" ] && kill -TERM "$(cat "$pid")" 2>/dev/null || true
  done
  sleep 1
  for pid in "$dir"/w*.pid; do
    [ -f "$pid" ] && kill -KILL "$(cat "$pid")" 2>/dev/null || true
    rm -f "$pid"
  done
  scripts/services.sh stop "$dir/services"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  start) start "$@" ;;
  stop) stop "$@" ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
