#!/usr/bin/env bash
# Run a command with the PostgreSQL + Redis test servers up and their URLs in the environment
# (KINDRED_TEST_DATABASE_URL / KINDRED_TEST_REDIS_URL, read by tests/db.py).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${KINDRED_TEST_SERVICES:-.services/test}"
# Ports: as set, else the ones this checkout's servers already use (DIR/ports), else two free ones
# (so two checkouts on one machine never share, or fight over, a test server).
mkdir -p "$DIR"
if [ -z "${KINDRED_TEST_PG_PORT:-}" ] || [ -z "${KINDRED_TEST_REDIS_PORT:-}" ]; then
  if [ ! -s "$DIR/ports" ]; then
    python3 - > "$DIR/ports" <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
  fi
  read -r pg_port redis_port < "$DIR/ports"
fi
scripts/services.sh start "$DIR" "${KINDRED_TEST_PG_PORT:-$pg_port}" "${KINDRED_TEST_REDIS_PORT:-$redis_port}"
set -a; . "$DIR/env"; set +a
export KINDRED_TEST_DATABASE_URL="$DATABASE_URL" KINDRED_TEST_REDIS_URL="$REDIS_URL"
unset DATABASE_URL REDIS_URL
exec "$@"
