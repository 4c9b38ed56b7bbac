#!/usr/bin/env bash
# Run a command with the PostgreSQL + Redis test servers up and their URLs in the environment
# (KINDRED_TEST_DATABASE_URL / KINDRED_TEST_REDIS_URL, read by tests/db.py).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${KINDRED_TEST_SERVICES:-.services/test}"
scripts/services.sh start "$DIR" "${KINDRED_TEST_PG_PORT:-55432}" "${KINDRED_TEST_REDIS_PORT:-56379}"
set -a; . "$DIR/env"; set +a
export KINDRED_TEST_DATABASE_URL="$DATABASE_URL" KINDRED_TEST_REDIS_URL="$REDIS_URL"
unset DATABASE_URL REDIS_URL
exec "$@"
