#!/usr/bin/env bash
# Back up Kindred's PostgreSQL database to one file (pg_dump's custom format: compressed, and
# restorable table by table).   scripts/backup.sh DATABASE_URL FILE
# DATABASE_URL as in kindred.env (postgresql+psycopg://... is accepted). See docs/deployment.md.
set -euo pipefail
url="${1:?DATABASE_URL}"; file="${2:?FILE}"
url="${url/postgresql+psycopg:/postgresql:}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
umask 077  # the dump holds every post: readable by its owner only
"${PG_BIN:+$PG_BIN/}pg_dump" --format=custom --no-owner --no-privileges --file="$file.partial" "$url"
mv "$file.partial" "$file"
echo "Backed up to $file ($(du -h "$file" | cut -f1))"
