#!/usr/bin/env bash
# The forum pages as a signed-in member sees them (reply form, reactions, unread markers; never
# micro-cached), beside the reference page, with wrk. run.sh's visitors are anonymous; this is
# the other half of "Kindred's page >= 50% of the reference's req/s".
#
# Usage:  bench/forum/member.sh     (after run.sh has built the 1M database once; ~2.5 min)
# Env:    DURATION=10 ROUNDS=3 CONNECTIONS=50 WARMUP=2, PAGES="thread cat"
# Output: bench/results/<stamp>-member/{versions.txt,<page>.json,summary.md}; servers stopped on exit.
# Works on a copy of the 1M database (it adds a session row and the member's read marker), deleted
# on exit. Loopback only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
SHARED=$(cd "$ROOT/../shared/bench" && pwd)
DURATION=${DURATION:-10} ROUNDS=${ROUNDS:-3} CONNECTIONS=${CONNECTIONS:-50} WARMUP=${WARMUP:-2}
PAGES=${PAGES:-"thread cat"}
REF_PORT=5221 K_PORT=5321
KPY=$ROOT/.venv/bin/python
OUT=$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)-member
mkdir -p "$OUT"
src=$(ls "$ROOT"/bench/results/forum-db/big-*.sqlite3 2>/dev/null | head -1)
[ -n "$src" ] || { echo "no 1M database: run bench/forum/run.sh first" >&2; exit 1; }
DB=$OUT/forum.sqlite3
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$OUT/instance" "$DB" "$DB-wal" "$DB-shm"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 300); do port_open "$1" && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; exit 1; }
foreign_cpu() {  # CPU % used by processes other than our servers and wrk over 1 s
  local ours=" " pid
  for pid in "${pids[@]}"; do ours+="$pid $(pgrep -P "$pid" | tr '\n' ' ')"; done
  top -b -n2 -d1 -w 200 | awk -v ours="$ours " '/^ *PID /{blk++; next}
    blk==2 && $9+0 > 0 && index(ours, " " $1 " ") == 0 && $12 != "top" {sum += $9} END {printf "%.0f\n", sum}'
}

cp "$src" "$DB"; cp "$src.json" "$DB.json"
export KINDRED_ENV=production SECRET_KEY=bench-not-secret SOCKETIO_ASYNC_MODE=threading \
  DATABASE_URL="sqlite:///$DB" KINDRED_INSTANCE="$OUT/instance" RATELIMIT_STORAGE_URI=memory:// \
  KINDRED_BACKGROUND_JOBS=0
mkdir -p "$OUT/instance"
# A member who wrote in the big thread, signed in: a session row, and the cookie a browser would
# hold after its first page (session id, last seen, CSRF secret: so no page rewrites the cookie).
COOKIE=$(cd "$ROOT" && "$KPY" - "$DB.json" <<'EOF'
import hashlib, json, secrets, sys, time
from sqlalchemy import text
from app import create_app
from app.extensions import db
from app.models import AuthSession
app = create_app()
meta = json.load(open(sys.argv[1]))["big_thread"]
with app.app_context():
    member = db.session.execute(text("SELECT author_id FROM post WHERE thread_id = :t AND author_id IS NOT NULL "
                                     "ORDER BY id LIMIT 1 OFFSET 3"), {"t": meta["id"]}).scalar()
    token = secrets.token_urlsafe(32)
    db.session.add(AuthSession(token_hash=hashlib.sha256(token.encode()).hexdigest(), member_id=member))
    db.session.commit()
    value = app.session_interface.get_signing_serializer(app).dumps(
        {"sid": token, "seen": int(time.time()) + 3600, "csrf_token": hashlib.sha1(secrets.token_bytes(32)).hexdigest()})
print(f"{app.config['SESSION_COOKIE_NAME']}={value}")
EOF
)
BIG_ID=$("$KPY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["big_thread"]["id"])' "$DB.json")
CATEGORY=$("$KPY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["big_thread"]["category_slug"])' "$DB.json")

(cd "$SHARED" && REF_PAGE_DB=$ROOT/bench/results/forum-db/ref_page.sqlite3 "$SHARED/.venv/bin/python" ref_flask_page.py init >/dev/null)
env -C "$SHARED" REF_PAGE_DB="$ROOT/bench/results/forum-db/ref_page.sqlite3" "$SHARED/.venv/bin/gunicorn" -w 2 \
  --no-control-socket -b 127.0.0.1:$REF_PORT ref_flask_page:app >"$OUT/server-reference.log" 2>&1 & pids+=($!)
env -C "$ROOT" "$ROOT/.venv/bin/gunicorn" -w 2 --no-control-socket -b 127.0.0.1:$K_PORT wsgi:app \
  >"$OUT/server-kindred.log" 2>&1 & pids+=($!)
wait_port $REF_PORT; wait_port $K_PORT

REF=http://127.0.0.1:$REF_PORT/topic/42?page=2
declare -A URL=([thread]=http://127.0.0.1:$K_PORT/t/$BIG_ID [cat]=http://127.0.0.1:$K_PORT/c/$CATEGORY)
{
  echo "date: $(date -u +%FT%TZ)  kindred: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo ' (uncommitted changes)')"
  echo "wrk: $CONNECTIONS connections, 1 thread, $ROUNDS alternating rounds x ${DURATION}s; Kindred pages with the member's cookie"
} | tee "$OUT/versions.txt"
for p in $PAGES; do  # the page must be the member's (reply form) and must not set a cookie
  curl -s -D "$OUT/$p.headers" -o "$OUT/$p.html" -H "Cookie: $COOKIE" "${URL[$p]}"
  grep -q 'data-signed-in="1"' "$OUT/$p.html" || { echo "$p: not signed in (see $OUT/$p.html)" >&2; exit 1; }
  ! grep -qi '^set-cookie' "$OUT/$p.headers" || echo "   note: $p sets a cookie on every request" >&2
done

echo "| page | reference req/s | member req/s | ratio | p50 / p99 ms ref -> member | other CPU % before/after |" | tee "$OUT/summary.md"
echo "|---|---|---|---|---|---|" | tee -a "$OUT/summary.md"
for p in $PAGES; do
  before=$(foreign_cpu)
  wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "$REF" >/dev/null
  wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -H "Cookie: $COOKIE" "${URL[$p]}" >/dev/null
  for r in $(seq "$ROUNDS"); do
    echo "a $(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s "$SHARED/wrk_json.lua" "$REF" | tail -n 1)"
    echo "b $(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s "$SHARED/wrk_json.lua" -H "Cookie: $COOKIE" "${URL[$p]}" | tail -n 1)"
  done >"$OUT/$p.json"
  after=$(foreign_cpu)
  "$KPY" - "$OUT/$p.json" "$p" "$before" "$after" <<'EOF' | tee -a "$OUT/summary.md"
import json, statistics, sys
path, page, before, after = sys.argv[1:]
runs = {"a": [], "b": []}
for line in open(path):
    k, js = line.split(" ", 1)
    runs[k].append(json.loads(js))
m = lambda k, f: statistics.median(r[f] for r in runs[k])
bad = sum(r["non_2xx_3xx"] + r["socket_errors"] for r in runs["b"])
print(f"| {page} | {m('a', 'rps'):.0f} | {m('b', 'rps'):.0f} | **{m('b', 'rps') / m('a', 'rps'):.2f}** | "
      f"{m('a', 'p50_ms'):.0f} / {m('a', 'p99_ms'):.0f} -> {m('b', 'p50_ms'):.0f} / {m('b', 'p99_ms'):.0f}"
      f"{f' ({bad} errors)' if bad else ''} | {before} / {after} |")
EOF
done
echo "== results in $OUT"
