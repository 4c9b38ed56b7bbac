#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database (create it first with
# `createdb -O kindred NAME`), then point DATABASE_URL at it and run `flask --app wsgi db upgrade`
# (a backup from an older release is brought up to date by the same migrations).
#   scripts/restore.sh FILE DATABASE_URL
set -euo pipefail
file="${1:?FILE}"; url="${2:?DATABASE_URL}"
url="${url/postgresql+psycopg:/postgresql:}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
"${PG_BIN:+$PG_BIN/}pg_restore" --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$url" "$file"
echo "Restored $file"
